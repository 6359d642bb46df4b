"""How each kind is priced: its usage keys (documented) and an estimator over catalog prices.

Every priced kind declares the usage keys ``kedge.dev/usage`` may give it, with a description
and a default (shown by ``docs/cost.md``). Kinds that cost nothing of their own (an IAM role,
a VPC, a DNS record) are priced at zero; kinds not listed here are reported as unpriced.

Hours: a machine or a NAT gateway runs ``hoursPerMonth`` hours (730 by default, AWS's
convention), so a business-hours machine says ``hoursPerMonth=220``. Provisioned capacity
(DynamoDB) and monthly fees (KMS keys, hosted zones) are billed for the whole month.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache

from kedge.cost.catalog import HOURS_PER_MONTH
from kedge.cost.meter import Item, Meter, Unpriced

AWS = "aws.kedge.dev"
AZURE = "azure.kedge.dev"
GCP = "gcp.kedge.dev"

Estimator = Callable[[Item, Meter], None]


@dataclass(frozen=True)
class UsageKey:
    description: str
    default: float = 0.0


@dataclass(frozen=True)
class KindPricing:
    estimate: Estimator | None  # None: costs nothing of its own
    usage: Mapping[str, UsageKey] = field(default_factory=dict)
    note: str = ""

    @property
    def defaults(self) -> dict[str, float]:
        return {k: u.default for k, u in self.usage.items() if u.default}


def _s3(item: Item, meter: Meter) -> None:
    region = item.field("region") or None
    meter.charge("Storage", "s3.storage", item.usage("storageGB"), region=region)
    meter.charge(
        "PUT, COPY, POST, LIST requests", "s3.requests.tier1", item.usage("writeRequests"), region=region
    )
    meter.charge("GET and other requests", "s3.requests.tier2", item.usage("requests"), region=region)


def _dynamodb(item: Item, meter: Meter) -> None:
    meter.charge("Storage", "dynamodb.storage", item.usage("storageGB"))
    if item.field("billingMode") == "PROVISIONED":
        meter.charge(
            "Read capacity", "dynamodb.readCapacity", _number(item.field("readCapacity")) * HOURS_PER_MONTH
        )
        meter.charge(
            "Write capacity", "dynamodb.writeCapacity", _number(item.field("writeCapacity")) * HOURS_PER_MONTH
        )
    else:
        meter.charge("Read request units", "dynamodb.readRequests", item.usage("readRequests"))
        meter.charge("Write request units", "dynamodb.writeRequests", item.usage("writeRequests"))


def _sqs(item: Item, meter: Meter) -> None:
    fifo = item.field("attributes", "FifoQueue") in (True, "true")
    meter.charge("Requests", "sqs.requests.fifo" if fifo else "sqs.requests", item.usage("requests"))


def _sns(item: Item, meter: Meter) -> None:
    meter.charge("Requests", "sns.requests", item.usage("requests"))
    meter.charge("HTTP/S deliveries", "sns.deliveries.http", item.usage("httpDeliveries"))


def _kms(item: Item, meter: Meter) -> None:
    meter.charge("Customer managed key", "kms.key", 1)
    meter.charge("Requests", "kms.requests", item.usage("requests"))


def _route53_zone(item: Item, meter: Meter) -> None:
    meter.charge("Hosted zone", "route53.zone", 1, region="global")
    meter.charge("Standard queries", "route53.queries", item.usage("queries"), region="global")


def _machines(item: Item, meter: Meter) -> None:
    replicas = _number(item.field("replicas", default=1))
    instance_type = item.field("template", "instanceType")
    if not isinstance(instance_type, str) or not instance_type:
        raise Unpriced("no template.instanceType")
    hours = item.usage("hoursPerMonth")
    meter.charge(f"Instances ({instance_type})", "ec2.instance", replicas * hours, variant=instance_type)
    meter.charge("Root volumes (gp3)", "ebs.volume", replicas * item.usage("volumeGB"), variant="gp3")


def _nat(item: Item, meter: Meter) -> None:
    meter.charge("NAT gateway", "nat.hours", item.usage("hoursPerMonth"))
    meter.charge("Data processed", "nat.data", item.usage("dataGB"))


def _azure_container(item: Item, meter: Meter) -> None:
    meter.charge("Hot LRS storage", "azure.blob.storage", item.usage("storageGB"))
    meter.charge("Write operations", "azure.blob.writeOperations", item.usage("writeOperations") / 10_000)
    meter.charge("Read operations", "azure.blob.readOperations", item.usage("readOperations") / 10_000)


def _azure_queue(item: Item, meter: Meter) -> None:
    meter.charge("Storage", "azure.queue.storage", item.usage("storageGB"))
    meter.charge("Operations", "azure.queue.operations", item.usage("operations") / 10_000)


def _azure_table(item: Item, meter: Meter) -> None:
    meter.charge("Storage", "azure.table.storage", item.usage("storageGB"))
    meter.charge("Transactions", "azure.table.transactions", item.usage("transactions") / 10_000)


def _gcs(item: Item, meter: Meter) -> None:
    location = str(item.field("location", default="US")).lower()
    storage_class = str(item.field("storageClass", default="STANDARD")).upper()
    meter.charge(
        f"Storage ({storage_class})", "gcs.storage", item.usage("storageGB"), storage_class, location
    )
    meter.charge("Class A operations", "gcs.classA", item.usage("classAOperations"), region=location)
    meter.charge("Class B operations", "gcs.classB", item.usage("classBOperations"), region=location)


def _number(value: object) -> float:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else 0.0


_STORAGE = UsageKey("data stored, in GB (average over the month)")
_HOURS = UsageKey("hours running per month (730 is always on; 220 is business hours)", HOURS_PER_MONTH)
_FREE = KindPricing(None, note="no charge of its own")

KINDS: Mapping[tuple[str, str], KindPricing] = {
    (AWS, "S3Bucket"): KindPricing(
        _s3,
        {
            "storageGB": _STORAGE,
            "requests": UsageKey("GET and other read requests per month"),
            "writeRequests": UsageKey("PUT, COPY, POST and LIST requests per month"),
        },
    ),
    (AWS, "DynamoDBTable"): KindPricing(
        _dynamodb,
        {
            "storageGB": _STORAGE,
            "readRequests": UsageKey("read request units per month (on-demand tables)"),
            "writeRequests": UsageKey("write request units per month (on-demand tables)"),
        },
        "provisioned tables are billed for spec.readCapacity and spec.writeCapacity all month",
    ),
    (AWS, "SQSQueue"): KindPricing(_sqs, {"requests": UsageKey("API requests per month (64 KB chunks)")}),
    (AWS, "SNSTopic"): KindPricing(
        _sns,
        {
            "requests": UsageKey("publishes and other API requests per month"),
            "httpDeliveries": UsageKey("HTTP/S notifications delivered per month"),
        },
    ),
    (AWS, "KMSKey"): KindPricing(_kms, {"requests": UsageKey("cryptographic requests per month")}),
    (AWS, "Route53Zone"): KindPricing(_route53_zone, {"queries": UsageKey("standard DNS queries per month")}),
    (AWS, "MachineDeployment"): KindPricing(
        _machines,
        {"hoursPerMonth": _HOURS, "volumeGB": UsageKey("root volume size of each instance, in GB (gp3)", 8)},
        "spec.replicas instances of spec.template.instanceType (Linux, shared tenancy, on demand)",
    ),
    (AWS, "NATGateway"): KindPricing(
        _nat, {"hoursPerMonth": _HOURS, "dataGB": UsageKey("data processed per month, in GB")}
    ),
    (AWS, "IAMRole"): _FREE,
    (AWS, "IAMPolicy"): _FREE,
    (AWS, "VPC"): _FREE,
    (AWS, "Subnet"): _FREE,
    (AWS, "SecurityGroup"): _FREE,
    (AWS, "Route53Record"): _FREE,
    (AZURE, "StorageContainer"): KindPricing(
        _azure_container,
        {
            "storageGB": _STORAGE,
            "writeOperations": UsageKey("write operations per month"),
            "readOperations": UsageKey("read operations per month"),
        },
    ),
    (AZURE, "StorageQueue"): KindPricing(
        _azure_queue, {"storageGB": _STORAGE, "operations": UsageKey("queue operations per month")}
    ),
    (AZURE, "StorageTable"): KindPricing(
        _azure_table, {"storageGB": _STORAGE, "transactions": UsageKey("table transactions per month")}
    ),
    (GCP, "GCSBucket"): KindPricing(
        _gcs,
        {
            "storageGB": _STORAGE,
            "classAOperations": UsageKey("class A operations (writes, lists) per month"),
            "classBOperations": UsageKey("class B operations (reads) per month"),
        },
    ),
}


@lru_cache(maxsize=512)
def pricing_for(api_version: str, kind: str) -> KindPricing | None:
    return KINDS.get((api_version.split("/", 1)[0], kind))
