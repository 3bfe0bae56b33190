"""How the emulated org says no: record-level errors, whole-request errors, and what a write carries."""

from dataclasses import dataclass


class WriteError(Exception):
    """A record-level failure, reported with Salesforce's status code."""

    def __init__(self, code: str, message: str, fields=()):
        super().__init__(message)
        self.code, self.message, self.fields = code, message, list(fields)

    def as_error(self) -> dict:
        return {"statusCode": self.code, "message": self.message, "fields": self.fields}


class RequestError(Exception):
    """A whole-request failure: HTTP status and the REST error body."""

    def __init__(self, status: int, code: str, message: str):
        super().__init__(message)
        self.status, self.code, self.message = status, code, message

    def body(self) -> list:
        return [{"message": self.message, "errorCode": self.code}]


class MultipleMatches(Exception):
    def __init__(self, urls):
        super().__init__("several records match")
        self.urls = urls


@dataclass
class WriteContext:
    stamp: int
    allow_duplicates: bool = False
    origin: str = ""  # a change event's changeOrigin: the API that made the change ("" for a person in the org)
