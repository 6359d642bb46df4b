"""One sample app per kind of every provider, for the convergence property.

Each sample is YAML documents (after the ProviderConfig the test writes) holding the kind under
test and whatever it needs. Placeholders: ``{p}`` a prefix unique to the test (names in a shared
PostgreSQL cluster), ``{db}`` a database created for the test. A provider that adds a kind adds
its sample here; the coverage test fails until it does.
"""

from __future__ import annotations

PG = "postgres.kedge.dev/v1"
AWS = "aws.kedge.dev/v1"
LOCAL = "local.kedge.dev/v1"
AZURE = "azure.kedge.dev/v1"
GCP = "gcp.kedge.dev/v1"

_OWNER = f"""
apiVersion: {PG}
kind: Role
metadata: {{name: "{{p}}_owner"}}
spec: {{}}
"""
_DB = f"""
apiVersion: {PG}
kind: Database
metadata: {{name: "{{p}}_db"}}
spec: {{owner: "{{p}}_owner"}}
"""
_TRUST = (
    '{Version: "2012-10-17", Statement: [{Effect: Allow, Principal: {Service: ec2.amazonaws.com}, '
    "Action: sts:AssumeRole}]}"
)

SAMPLES: dict[tuple[str, str], str] = {
    ("local", "File"): f"""
apiVersion: {LOCAL}
kind: File
metadata: {{name: motd}}
spec: {{path: etc/motd, content: "line one\\nline two\\n", mode: "0640"}}
""",
    ("local", "Directory"): f"""
apiVersion: {LOCAL}
kind: Directory
metadata: {{name: conf}}
spec: {{path: conf/d, mode: "0750"}}
""",
    ("postgres", "Role"): f"""
apiVersion: {PG}
kind: Role
metadata: {{name: "{{p}}_base"}}
spec: {{}}
---
apiVersion: {PG}
kind: Role
metadata: {{name: "{{p}}_app"}}
spec: {{login: true, connectionLimit: 5, memberOf: ["{{p}}_base"]}}
""",
    ("postgres", "Database"): _OWNER + "---" + _DB,
    ("postgres", "Schema"): _OWNER
    + "---"
    + _DB
    + f"""---
apiVersion: {PG}
kind: Schema
metadata: {{name: billing}}
spec: {{database: "{{p}}_db", owner: "{{p}}_owner"}}
""",
    # The grantee owns the database: the owner's implicit privileges must not show as drift.
    ("postgres", "Grant"): _OWNER
    + "---"
    + _DB
    + f"""---
apiVersion: {PG}
kind: Role
metadata: {{name: "{{p}}_reader"}}
spec: {{login: true}}
---
apiVersion: {PG}
kind: Grant
metadata: {{name: owner-connect}}
spec: {{role: "{{p}}_owner", database: "{{p}}_db", on: database, privileges: [CONNECT]}}
---
apiVersion: {PG}
kind: Grant
metadata: {{name: reader-connect}}
spec: {{role: "{{p}}_reader", database: "{{p}}_db", on: database, privileges: [CONNECT]}}
---
apiVersion: {PG}
kind: Grant
metadata: {{name: public-closed}}
spec: {{role: PUBLIC, database: "{{p}}_db", on: database, privileges: []}}
---
apiVersion: {PG}
kind: Grant
metadata: {{name: reader-in-owner}}
spec: {{role: "{{p}}_reader", on: role, objects: ["{{p}}_owner"]}}
""",
    ("postgres", "Extension"): _OWNER
    + "---"
    + _DB
    + f"""---
apiVersion: {PG}
kind: Extension
metadata: {{name: pgcrypto}}
spec: {{database: "{{p}}_db"}}
""",
    ("postgres", "Table"): _OWNER
    + "---"
    + _DB
    + f"""---
apiVersion: {PG}
kind: Table
metadata: {{name: accounts}}
spec:
  database: "{{p}}_db"
  columns:
    - {{name: id, type: bigint, primaryKey: true}}
    - {{name: email, type: "varchar(200)", nullable: false}}
    - {{name: created, type: timestamptz, default: {{expression: "now()"}}}}
  indexes:
    - {{name: accounts_email, columns: [email], unique: true}}
""",
    ("aws", "S3Bucket"): f"""
apiVersion: {AWS}
kind: S3Bucket
metadata: {{name: "{{p}}-assets"}}
spec: {{versioning: true, tags: {{team: web}}}}
""",
    ("aws", "IAMRole"): f"""
apiVersion: {AWS}
kind: IAMRole
metadata: {{name: "{{p}}-web"}}
spec: {{assumeRolePolicy: {_TRUST}, tags: {{team: web}}}}
""",
    ("aws", "IAMPolicy"): f"""
apiVersion: {AWS}
kind: IAMPolicy
metadata: {{name: "{{p}}-read"}}
spec:
  description: read assets
  document: {{Version: "2012-10-17", Statement: [{{Effect: Allow, Action: ["s3:GetObject"], Resource: "*"}}]}}
""",
    ("aws", "VPC"): f"""
apiVersion: {AWS}
kind: VPC
metadata: {{name: main}}
spec: {{cidrBlock: 10.0.0.0/16, tags: {{team: net}}}}
""",
    ("aws", "Subnet"): f"""
apiVersion: {AWS}
kind: VPC
metadata: {{name: main}}
spec: {{cidrBlock: 10.0.0.0/16}}
---
apiVersion: {AWS}
kind: Subnet
metadata: {{name: a}}
spec:
  vpc: {{fromResource: {{kind: VPC, name: main, field: id}}}}
  cidrBlock: 10.0.1.0/24
  availabilityZone: us-east-1a
""",
    ("aws", "SecurityGroup"): f"""
apiVersion: {AWS}
kind: VPC
metadata: {{name: main}}
spec: {{cidrBlock: 10.0.0.0/16}}
---
apiVersion: {AWS}
kind: SecurityGroup
metadata: {{name: web}}
spec:
  vpc: {{fromResource: {{kind: VPC, name: main, field: id}}}}
  ingress:
    - {{protocol: tcp, fromPort: 443, cidrs: [0.0.0.0/0]}}
""",
    ("aws", "SQSQueue"): f"""
apiVersion: {AWS}
kind: SQSQueue
metadata: {{name: "{{p}}-orders"}}
spec: {{attributes: {{VisibilityTimeout: 60}}, tags: {{team: shop}}}}
""",
    ("aws", "SNSTopic"): f"""
apiVersion: {AWS}
kind: SNSTopic
metadata: {{name: "{{p}}-events"}}
spec: {{attributes: {{DisplayName: Shop events}}}}
""",
    ("aws", "DynamoDBTable"): f"""
apiVersion: {AWS}
kind: DynamoDBTable
metadata: {{name: "{{p}}-carts"}}
spec: {{hashKey: id, attributes: {{id: S}}, billingMode: PAY_PER_REQUEST}}
""",
    ("aws", "KMSKey"): f"""
apiVersion: {AWS}
kind: KMSKey
metadata: {{name: data}}
spec: {{description: shop data, alias: "alias/{{p}}-data"}}
""",
    ("aws", "Route53Zone"): f"""
apiVersion: {AWS}
kind: Route53Zone
metadata: {{name: "{{p}}.example.com"}}
spec: {{comment: shop}}
""",
    ("aws", "Route53Record"): f"""
apiVersion: {AWS}
kind: Route53Zone
metadata: {{name: "{{p}}.example.com"}}
spec: {{}}
---
apiVersion: {AWS}
kind: Route53Record
metadata: {{name: www}}
spec:
  zone: {{fromResource: {{kind: Route53Zone, name: "{{p}}.example.com", field: id}}}}
  name: "www.{{p}}.example.com"
  type: A
  ttl: 300
  records: [192.0.2.1, 192.0.2.2]
""",
    ("azure", "StorageContainer"): f"""
apiVersion: {AZURE}
kind: StorageContainer
metadata: {{name: "{{p}}"}}
spec: {{publicAccess: blob, metadata: {{team: web}}}}
""",
    ("azure", "StorageQueue"): f"""
apiVersion: {AZURE}
kind: StorageQueue
metadata: {{name: "{{p}}"}}
spec: {{metadata: {{team: orders}}}}
""",
    ("azure", "StorageTable"): f"""
apiVersion: {AZURE}
kind: StorageTable
metadata: {{name: "{{p}}"}}
spec: {{}}
""",
    # US: the emulator places every bucket there whatever the create asks (docs/providers/gcp.md).
    ("gcp", "GCSBucket"): f"""
apiVersion: {GCP}
kind: GCSBucket
metadata: {{name: "{{p}}"}}
spec: {{location: US, storageClass: STANDARD, versioning: true, labels: {{team: web}}}}
""",
    # {ami}, {subnet}, {group}: made on the test server by the test (MachineDeployment needs them).
    ("aws", "MachineDeployment"): f"""
apiVersion: {AWS}
kind: MachineDeployment
metadata: {{name: "{{p}}"}}
spec:
  replicas: 2
  template: {{imageId: "{{ami}}", instanceType: t3.micro, subnet: "{{subnet}}", securityGroups: ["{{group}}"],
             userData: "#cloud-config\\n", tags: {{role: worker}}}}
""",
    ("aws", "CloudFormationStack"): f"""
apiVersion: {AWS}
kind: CloudFormationStack
metadata: {{name: "{{p}}"}}
spec:
  parameters: {{Timeout: 30}}
  tags: {{team: shop}}
  template:
    AWSTemplateFormatVersion: "2010-09-09"
    Parameters: {{Timeout: {{Type: Number, Default: 30}}}}
    Resources:
      Jobs:
        Type: AWS::SQS::Queue
        Properties: {{QueueName: "{{p}}-jobs", VisibilityTimeout: {{Ref: Timeout}}, DelaySeconds: 5}}
""",
}
