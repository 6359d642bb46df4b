"""Turn botocore failures into Kedge errors that name the resource and the field.

    ClientError / BotoCoreError
      throttling, 5xx, timeouts, dropped connections  -> TemporaryError  (the SDK's retries ran out)
      expired, invalid or missing credentials         -> ProviderError   (what to fix, no retry)
      access denied                                   -> ProviderError
      a value AWS refuses (validation codes)          -> ConfigError     (naming the spec field)
      anything else                                   -> ProviderError

"Not found" is never decided here: each kind checks the exact codes that mean "no such
resource" for the call it made, so an error can never be mistaken for a missing resource.
Messages go through ``redact_text`` so a secret in the spec cannot leak through AWS's text.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager

from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    ConnectionClosedError,
    ConnectTimeoutError,
    EndpointConnectionError,
    NoCredentialsError,
    NoRegionError,
    ParamValidationError,
    PartialCredentialsError,
    ReadTimeoutError,
)
from botocore.parsers import ResponseParserError

from kedge.model import ConfigError, KedgeError, ProviderError, TemporaryError
from kedge.model.values import redact_text

THROTTLING = frozenset(
    {
        "Throttling",
        "ThrottlingException",
        "ThrottledException",
        "RequestThrottledException",
        "RequestThrottled",
        "TooManyRequestsException",
        "ProvisionedThroughputExceededException",
        "RequestLimitExceeded",
        "BandwidthLimitExceeded",
        "SlowDown",
        "PriorRequestNotComplete",
        "EC2ThrottledException",
        "TransactionInProgressException",
        "ServiceUnavailable",
        "InternalError",
        "InternalFailure",
        "RequestTimeout",
        "RequestTimeoutException",
    }
)
CREDENTIALS = frozenset(
    {
        "ExpiredToken",
        "ExpiredTokenException",
        "RequestExpired",
        "InvalidClientTokenId",
        "UnrecognizedClientException",
        "AuthFailure",
        "SignatureDoesNotMatch",
        "InvalidAccessKeyId",
        "InvalidToken",
        "MissingAuthenticationToken",
        "IncompleteSignature",
        "InvalidSignatureException",
    }
)
DENIED = frozenset(
    {"AccessDenied", "AccessDeniedException", "UnauthorizedOperation", "Forbidden", "AuthorizationError"}
)
INVALID = frozenset(
    {
        "InvalidParameterValue",
        "InvalidParameterValueException",
        "InvalidParameterCombination",
        "InvalidParameter",
        "InvalidParameterException",
        "ValidationError",
        "ValidationException",
        "MalformedPolicyDocument",
        "MalformedPolicy",
        "MalformedPolicyDocumentException",
        "InvalidBucketName",
        "InvalidAttributeName",
        "InvalidAttributeValue",
        "InvalidInput",
        "InvalidArgument",
        "InvalidRequest",
        "InvalidDomainName",
        "InvalidChangeBatch",
        "InvalidSubnet.Range",
        "InvalidSubnet.Conflict",
        "InvalidVpc.Range",
        "InvalidPermission.Duplicate",
        "InvalidPermission.Malformed",
        "InvalidGroup.Duplicate",
        "InvalidKeyUsageException",
        "InvalidAvailabilityZone",
    }
)


def error_code(exc: BaseException) -> str:
    if isinstance(exc, ClientError):
        return str(exc.response.get("Error", {}).get("Code", ""))
    return ""


def http_status(exc: BaseException) -> int:
    if isinstance(exc, ClientError):
        return int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0)
    return 0


def is_code(exc: BaseException, codes: Iterable[str], status: int | None = None) -> bool:
    """True when ``exc`` carries one of ``codes`` (or, with ``status``, that HTTP status)."""
    return error_code(exc) in set(codes) or (status is not None and http_status(exc) == status)


def translate(
    exc: BaseException, where: str, field: str | None = None, secrets: Iterable[str] = ()
) -> KedgeError:
    """The Kedge error for a botocore failure in ``where`` ("S3Bucket/logs: PutBucketTagging")."""
    secrets = list(secrets)
    place = f"{where} (spec.{field})" if field else where

    def scrub(text: str) -> str:
        return redact_text(text, secrets)

    if isinstance(exc, NoCredentialsError | PartialCredentialsError):
        return ProviderError(
            f"{place}: no usable AWS credentials: set AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, "
            "the ProviderConfig's profile, or run where an instance or container role is available",
            code="CredentialsMissing",
        )
    if isinstance(exc, NoRegionError):
        return ConfigError(f"{place}: no AWS region: set settings.region in the ProviderConfig")
    if isinstance(exc, ParamValidationError):
        return ConfigError(scrub(f"{place}: invalid value: {exc}"))
    if isinstance(exc, ReadTimeoutError | ConnectTimeoutError | ConnectionClosedError):
        return TemporaryError(scrub(f"{place}: AWS did not answer in time after retries ({exc})"))
    if isinstance(exc, ResponseParserError):
        return TemporaryError(
            scrub(
                f"{place}: AWS answered with something that is not an API response "
                f"(a proxy or a failing server?) after retries: {str(exc)[:200]}"
            )
        )
    if isinstance(exc, EndpointConnectionError):
        return TemporaryError(scrub(f"{place}: cannot reach the AWS endpoint: {exc}"))
    if not isinstance(exc, ClientError):
        if isinstance(exc, BotoCoreError):
            return ProviderError(scrub(f"{place}: {exc}"))
        return ProviderError(scrub(f"{place}: {type(exc).__name__}: {exc}"))

    code, status = error_code(exc), http_status(exc)
    message = scrub(str(exc.response.get("Error", {}).get("Message") or exc))
    if code in THROTTLING or status == 429 or status >= 500:
        retry_after = exc.response.get("ResponseMetadata", {}).get("HTTPHeaders", {}).get("retry-after")
        delay = float(retry_after) if retry_after and str(retry_after).isdigit() else None
        return TemporaryError(
            f"{place}: AWS is throttling or failing ({code or status}) and the SDK's retries ran "
            f"out: {message}",
            delay=delay,
        )
    if code in CREDENTIALS:
        return ProviderError(
            f"{place}: AWS refused the credentials ({code}): {message}. Refresh or replace them "
            "(expired session token, wrong key, or clock skew)",
            code=code,
        )
    if code in DENIED or status == 403:
        return ProviderError(
            f"{place}: access denied ({code or status}): {message}. Grant the permission to the "
            "identity Kedge runs as",
            code=code or "AccessDenied",
        )
    if code in INVALID:
        return ConfigError(f"{place}: AWS refused the value ({code}): {message}", code=code)
    return ProviderError(f"{place}: {code or status}: {message}", code=code or None)


@contextmanager
def aws_errors(where: str, field: str | None = None, secrets: Iterable[str] = ()) -> Iterator[None]:
    """Run AWS calls; any botocore failure leaves as a Kedge error naming ``where``/``field``."""
    try:
        yield
    except (ClientError, BotoCoreError, ResponseParserError) as exc:
        raise translate(exc, where, field, secrets) from None
