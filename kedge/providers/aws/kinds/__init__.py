"""One module per AWS service; ``HANDLERS`` maps each kind name to its handler class."""

from kedge.providers.aws.kinds.base import Handler
from kedge.providers.aws.kinds.cloudformation import CloudFormationStack
from kedge.providers.aws.kinds.dynamodb import DynamoDBTable
from kedge.providers.aws.kinds.iam import IAMPolicy, IAMRole
from kedge.providers.aws.kinds.kms import KMSKey
from kedge.providers.aws.kinds.machinedeployment import MachineDeployment
from kedge.providers.aws.kinds.route53 import Route53Record, Route53Zone
from kedge.providers.aws.kinds.s3 import S3Bucket
from kedge.providers.aws.kinds.securitygroup import SecurityGroup
from kedge.providers.aws.kinds.sns import SNSTopic
from kedge.providers.aws.kinds.sqs import SQSQueue
from kedge.providers.aws.kinds.subnet import Subnet
from kedge.providers.aws.kinds.vpc import VPC

HANDLERS: dict[str, type[Handler]] = {
    cls.spec.kind: cls
    for cls in (
        S3Bucket,
        IAMRole,
        IAMPolicy,
        VPC,
        Subnet,
        SecurityGroup,
        SQSQueue,
        SNSTopic,
        DynamoDBTable,
        KMSKey,
        Route53Zone,
        Route53Record,
        MachineDeployment,
        CloudFormationStack,
    )
}

__all__ = ["HANDLERS", "Handler"]
