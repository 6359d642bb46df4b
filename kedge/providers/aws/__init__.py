"""The AWS provider: S3, IAM, VPC networking, SQS, SNS, DynamoDB, KMS and Route 53 on boto3.

``provider`` is what the ``kedge.providers`` entry point loads. See docs/providers/aws.md.
"""

from kedge.providers.aws.client import AwsClient
from kedge.providers.aws.provider import AwsProvider

provider = AwsProvider()

__all__ = ["AwsClient", "AwsProvider", "provider"]
