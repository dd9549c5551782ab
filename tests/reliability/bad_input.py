"""The bad-input table: invocations from PowerShell, Python and the CLI, and what each must do.

Every row is one invocation of Set-MgBetaCommunicationPresenceUserPreferredPresence. A row either
expects an error (``error_id``) and then **no request may reach the server**, or it is an unusual
but valid id that must travel as exactly one escaped path segment (``segment``).

Where the expected id comes from:

* PowerShell binder ids (``NamedParameterNotFound``, ``AmbiguousParameter``, ...) were taken from
  real pwsh 7.6 binding a function with the cmdlet's parameter block; the Python binder and the CLI
  must report the same ids (issue 3, item 2).
* ``InputObject has null value for InputObject.PresenceId`` and its fully qualified id:
  ``../shared/research/cmdlet-semantics.md`` section 4.
* Escaping: ``Uri.EscapeDataString`` (cmdlet-semantics.md section 4, "URL encoding"): RFC 3986
  unreserved characters stay, everything else is ``%XX`` with uppercase hex over UTF-8.
* Rows with ``error_id=ANY`` are failures the original reports from inside the cmdlet (body
  conversion, duplicate JSON keys, header validation) with an empty or generated id; for those
  we require an error that names the offending parameter or key (``mentions``) and no request.
* ``.`` and ``..`` alone cannot be carried by any URI as one segment: RFC 3986 section 6.2.2.2
  decodes ``%2E`` and section 5.2.4 then removes the dot segment, so the request would reach a
  different resource. They must be refused before sending.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

CMD = "Set-MgBetaCommunicationPresenceUserPreferredPresence"
INTERNAL = "Microsoft.Graph.Beta.PowerShell.Cmdlets.SetMgBetaCommunicationPresenceUserPreferredPresence_"
PATH = "/beta/communications/presences/{}/microsoft.graph.setUserPreferredPresence"
ANY = "*"
# Over 4 MB, the body size Microsoft Graph accepts in one request (larger payloads use upload sessions).
OVERSIZED = 5 * 1024 * 1024

LONG_ID = "u" * 2000
NON_ASCII_ID = "用户-é-\U0001f600"


@dataclass(frozen=True)
class Case:
    """One row. ``call`` is PowerShell text after the cmdlet name, Python kwargs, or CLI argv;
    ``extra["pipe"]`` (PowerShell text) or ``extra["pipeline"]`` (Python objects) is piped in."""

    id: str
    surface: str  # "ps" | "py" | "cli"
    call: Any
    error_id: str | None = None
    fqid: str | None = None
    mentions: tuple[str, ...] = ()
    segment: str | None = None
    terminating: bool | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def valid(self) -> bool:
        return self.error_id is None and self.fqid is None


def _ps(id: str, call: str, **kw: Any) -> Case:
    return Case(f"ps-{id}", "ps", call, **kw)


def _py(id: str, call: dict[str, Any], **kw: Any) -> Case:
    return Case(f"py-{id}", "py", call, **kw)


def _cli(id: str, call: list[str], **kw: Any) -> Case:
    return Case(f"cli-{id}", "cli", call, **kw)


# Escaped segments for the valid-but-unusual ids (EscapeDataString, uppercase hex, UTF-8).
SEGMENTS = {
    "a/b": "a%2Fb",
    "../x": "..%2Fx",
    "a/../b": "a%2F..%2Fb",
    "what?x=1": "what%3Fx%3D1",
    "frag#1": "frag%231",
    "100%": "100%25",
    "%2F": "%252F",
    NON_ASCII_ID: "%E7%94%A8%E6%88%B7-%C3%A9-%F0%9F%98%80",
    "   ": "%20%20%20",
    "a+b&c;d=e": "a%2Bb%26c%3Bd%3De",
    "~user_1.x-y": "~user_1.x-y",
    "tab\there": "tab%09here",
    "line\nbreak\r\nX-Injected: 1": "line%0Abreak%0D%0AX-Injected%3A%201",
    LONG_ID: LONG_ID,
}

_MARKER_FIELDS = "-Availability Available -Activity Available"

PS_CASES = [
    _ps("unknown-parameter", "-PresenceId u -Foo 1", error_id="NamedParameterNotFound", mentions=("Foo",)),
    _ps("ambiguous-prefix", "-PresenceId u -A Busy", error_id="AmbiguousParameter", mentions=("Activity",)),
    _ps("positional", "u1", error_id="PositionalParameterNotFound"),
    _ps("id-and-identity", "-PresenceId u -InputObject @{PresenceId='u'}", error_id="AmbiguousParameterSet"),
    _ps("body-and-expanded", "-PresenceId u -BodyParameter @{availability='Busy'} -Availability Busy",
        error_id="AmbiguousParameterSet"),
    _ps("missing-id", "-Availability Busy", error_id="MissingMandatoryParameter", mentions=("PresenceId",)),
    _ps("missing-argument", "-PresenceId", error_id="MissingArgument", mentions=("PresenceId",)),
    _ps("empty-id", "-PresenceId ''", error_id="ParameterArgumentValidationErrorEmptyStringNotAllowed"),
    _ps("null-id", "-PresenceId $null", error_id="ParameterArgumentValidationErrorEmptyStringNotAllowed"),
    _ps("duration-text", "-PresenceId u -ExpirationDuration 'an hour'",
        error_id="ParameterArgumentTransformationError", mentions=("ExpirationDuration",)),
    _ps("duration-iso", "-PresenceId u -ExpirationDuration PT1H",
        error_id="ParameterArgumentTransformationError", mentions=("ExpirationDuration",)),
    _ps("duration-array", "-PresenceId u -ExpirationDuration @(1, 2)",
        error_id="ParameterArgumentTransformationError", mentions=("ExpirationDuration",)),
    _ps("additional-not-hashtable", "-PresenceId u -AdditionalProperties 'text'",
        error_id="ParameterArgumentTransformationError", mentions=("AdditionalProperties",)),
    _ps("headers-not-dictionary", "-PresenceId u -Headers 'text'",
        error_id="ParameterArgumentTransformationError", mentions=("Headers",)),
    _ps("switch-text", "-PresenceId u -Availability Busy -PassThru:'yes'",
        error_id="ParameterArgumentTransformationError", mentions=("PassThru",)),
    _ps("switch-two", "-PresenceId u -Availability Busy -PassThru:2",
        error_id="ParameterArgumentTransformationError", mentions=("PassThru",)),
    _ps("parameter-twice", "-PresenceId u -Availability Busy -Availability Away", error_id="ParameterAlreadyBound"),
    _ps("hash-literal-key-twice", "-PresenceId u -BodyParameter @{availability='Busy'; Availability='Away'}",
        error_id="DuplicateKeyInHashLiteral"),
    _ps("key-both-ways", "-PresenceId u -Availability Busy -AdditionalProperties @{availability='Away'}",
        error_id=ANY, mentions=("availability",)),
    _ps("json-key-twice", "-PresenceId u -BodyParameter '{\"availability\": \"Busy\", \"AVAILABILITY\": \"Away\"}'",
        error_id=ANY, mentions=("availability",)),
    _ps("identity-without-id", "-InputObject @{UserId='u'} -Availability Busy",
        fqid=INTERNAL + "SetViaIdentityExpanded", terminating=True,
        mentions=("InputObject has null value for InputObject.PresenceId",)),
    _ps("identity-body-without-id", "-InputObject @{UserId='u'} -BodyParameter @{availability='Busy'}",
        fqid=INTERNAL + "SetViaIdentity", terminating=True,
        mentions=("InputObject has null value for InputObject.PresenceId",)),
    _ps("body-number", "-PresenceId u -BodyParameter 42", error_id=ANY, mentions=("BodyParameter",)),
    _ps("body-malformed-json", "-PresenceId u -BodyParameter '{\"availability\": \"Busy\",'",
        error_id=ANY, mentions=("BodyParameter",)),
    _ps("body-json-array", "-PresenceId u -BodyParameter '[\"Busy\", \"Busy\"]'", error_id=ANY,
        mentions=("BodyParameter",)),
    _ps("header-crlf", "-PresenceId u -Availability Busy -Headers @{'X-Canary' = \"a`r`nX-Injected: 1\"}",
        error_id=ANY, mentions=("X-Canary",)),
    _ps("header-lf-name", "-PresenceId u -Availability Busy -Headers @{\"X-Bad`nName\" = 'v'}",
        error_id=ANY, mentions=("header",)),
    _ps("oversized-body", f"-PresenceId u -Availability Busy -AdditionalProperties @{{blob = 'x' * {OVERSIZED}}}",
        error_id=ANY),
    _ps("pipe-number", "-PresenceId u -Availability Busy", error_id="InputObjectNotBound", extra={"pipe": "42"}),
    _ps("pipe-date", "-PresenceId u -Availability Busy", error_id="InputObjectNotBound", extra={"pipe": "(Get-Date)"}),
    _ps("dot-id", "-PresenceId '.' -Availability Busy", error_id=ANY, mentions=("PresenceId",)),
    _ps("dotdot-id", "-PresenceId '..' -Availability Busy", error_id=ANY, mentions=("PresenceId",)),
    _ps("identity-id-escaped", "-InputObject @{PresenceId='team/a b?'} -Availability Away -Activity Away",
        segment="team%2Fa%20b%3F"),
    _ps("body-set-id-escaped", "-PresenceId 'x#1%' -BodyParameter @{availability='Away'; activity='Away'}",
        segment="x%231%25"),
    *[
        _ps(f"id-{i}", f"-PresenceId $ids[{i}] {_MARKER_FIELDS}", segment=seg, extra={"raw": raw})
        for i, (raw, seg) in enumerate(SEGMENTS.items())
    ],
]

PY_CASES = [
    _py("unknown-parameter", {"PresenceId": "u", "Foo": 1}, error_id="NamedParameterNotFound", mentions=("Foo",)),
    _py("ambiguous-prefix", {"PresenceId": "u", "A": "Busy"}, error_id="AmbiguousParameter", mentions=("Activity",)),
    _py("id-and-identity", {"PresenceId": "u", "InputObject": {"PresenceId": "u"}}, error_id="AmbiguousParameterSet"),
    _py("body-and-expanded", {"PresenceId": "u", "BodyParameter": {"availability": "Busy"}, "Availability": "Busy"},
        error_id="AmbiguousParameterSet"),
    _py("missing-id", {"Availability": "Busy"}, error_id="MissingMandatoryParameter", mentions=("PresenceId",)),
    _py("empty-id", {"PresenceId": ""}, error_id="ParameterArgumentValidationErrorEmptyStringNotAllowed"),
    _py("none-id", {"PresenceId": None}, error_id="ParameterArgumentValidationErrorEmptyStringNotAllowed"),
    _py("duration-text", {"PresenceId": "u", "ExpirationDuration": "an hour"},
        error_id="ParameterArgumentTransformationError", mentions=("ExpirationDuration",)),
    # From Python, ISO 8601 text is a duration (PT1H works), but not a malformed one, nor a bare number,
    # which PowerShell would read as ticks (int) or days (float): issue 15.2.
    _py("duration-bad-iso", {"PresenceId": "u", "ExpirationDuration": "PT1X"},
        error_id="ParameterArgumentTransformationError", mentions=("ExpirationDuration", "PT1X")),
    _py("duration-int", {"PresenceId": "u", "ExpirationDuration": 3600},
        error_id="ParameterArgumentTransformationError", mentions=("ExpirationDuration", "datetime.timedelta")),
    _py("duration-float", {"PresenceId": "u", "ExpirationDuration": 3600.0},
        error_id="ParameterArgumentTransformationError", mentions=("ExpirationDuration", "datetime.timedelta")),
    _py("duration-list", {"PresenceId": "u", "ExpirationDuration": [1, 2]},
        error_id="ParameterArgumentTransformationError", mentions=("ExpirationDuration",)),
    _py("additional-not-dict", {"PresenceId": "u", "AdditionalProperties": "text"},
        error_id="ParameterArgumentTransformationError", mentions=("AdditionalProperties",)),
    _py("headers-not-dict", {"PresenceId": "u", "Headers": ["X-A", "1"]},
        error_id="ParameterArgumentTransformationError", mentions=("Headers",)),
    _py("switch-text", {"PresenceId": "u", "Availability": "Busy", "PassThru": "yes"},
        error_id="ParameterArgumentTransformationError", mentions=("PassThru",)),
    _py("switch-two", {"PresenceId": "u", "Availability": "Busy", "PassThru": 2},
        error_id="ParameterArgumentTransformationError", mentions=("PassThru",)),
    _py("name-twice-case", {"PresenceId": "u", "Availability": "Busy", "availability": "Away"},
        error_id="ParameterAlreadyBound", mentions=("Availability",)),
    _py("key-both-ways", {"PresenceId": "u", "Availability": "Busy", "AdditionalProperties": {"availability": "Away"}},
        error_id=ANY, mentions=("availability",)),
    _py("dict-key-twice", {"PresenceId": "u", "BodyParameter": {"availability": "Busy", "AVAILABILITY": "Away"}},
        error_id=ANY, mentions=("availability",)),
    _py("json-key-twice", {"PresenceId": "u", "BodyParameter": '{"availability": "Busy", "availability": "Away"}'},
        error_id=ANY, mentions=("availability",)),
    _py("identity-without-id", {"InputObject": {"UserId": "u"}, "Availability": "Busy"},
        fqid=INTERNAL + "SetViaIdentityExpanded", terminating=True,
        mentions=("InputObject has null value for InputObject.PresenceId",)),
    _py("body-number", {"PresenceId": "u", "BodyParameter": 42}, error_id=ANY, mentions=("BodyParameter",)),
    _py("body-malformed-json", {"PresenceId": "u", "BodyParameter": '{"availability": "Busy",'},
        error_id=ANY, mentions=("BodyParameter",)),
    _py("body-json-array", {"PresenceId": "u", "BodyParameter": '["Busy"]'}, error_id=ANY,
        mentions=("BodyParameter",)),
    _py("header-crlf", {"PresenceId": "u", "Availability": "Busy", "Headers": {"X-Canary": "a\r\nX-Injected: 1"}},
        error_id=ANY, mentions=("X-Canary",)),
    _py("header-lf", {"PresenceId": "u", "Availability": "Busy", "Headers": {"X-Canary": "a\nb"}},
        error_id=ANY, mentions=("X-Canary",)),
    _py("oversized-body",
        {"PresenceId": "u", "Availability": "Busy", "AdditionalProperties": {"blob": "x" * OVERSIZED}},
        error_id=ANY),
    _py("pipe-number", {"PresenceId": "u", "Availability": "Busy"}, error_id="InputObjectNotBound",
        extra={"pipeline": [42]}),
    _py("dotdot-id", {"PresenceId": "..", "Availability": "Busy"}, error_id=ANY, mentions=("PresenceId",)),
    _py("identity-id-escaped", {"InputObject": {"PresenceId": "team/a b?"}, "Availability": "Away", "Activity": "Away"},
        segment="team%2Fa%20b%3F"),
    _py("body-set-id-escaped", {"PresenceId": "x#1%", "BodyParameter": '{"availability": "Away", "activity": "Away"}'},
        segment="x%231%25"),
    *[
        _py(f"id-{i}", {"PresenceId": raw, "Availability": "Available", "Activity": "Available"}, segment=seg)
        for i, (raw, seg) in enumerate(SEGMENTS.items())
    ],
]

CLI_CASES = [
    _cli("unknown-parameter", ["-PresenceId", "u", "-Foo", "1"], error_id="NamedParameterNotFound", mentions=("Foo",)),
    _cli("ambiguous-prefix", ["-PresenceId", "u", "-A", "Busy"], error_id="AmbiguousParameter"),
    _cli("positional", ["u1"], error_id="PositionalParameterNotFound"),
    _cli("missing-argument", ["-PresenceId"], error_id="MissingArgument", mentions=("PresenceId",)),
    _cli("missing-id", ["-Availability", "Busy"], error_id="MissingMandatoryParameter", mentions=("PresenceId",)),
    _cli("empty-id", ["-PresenceId", ""], error_id="ParameterArgumentValidationErrorEmptyStringNotAllowed"),
    _cli("id-and-identity", ["-PresenceId", "u", "-InputObject", '{"PresenceId": "u"}'],
         error_id="AmbiguousParameterSet"),
    _cli("duration-text", ["-PresenceId", "u", "-ExpirationDuration", "an hour"],
         error_id="ParameterArgumentTransformationError", mentions=("ExpirationDuration",)),
    _cli("switch-text", ["-PresenceId", "u", "-Availability", "Busy", "-PassThru:maybe"],
         error_id="ParameterArgumentTransformationError", mentions=("PassThru",)),
    _cli("body-malformed-json", ["-PresenceId", "u", "-BodyParameter", '{"availability": "Busy",'],
         error_id=ANY, mentions=("BodyParameter",)),
    _cli("header-crlf",
         ["-PresenceId", "u", "-Availability", "Busy", "-Headers", '{"X-Canary": "a\\r\\nX-Injected: 1"}'],
         error_id=ANY, mentions=("X-Canary",)),
    _cli("identity-without-id", ["-InputObject", '{"UserId": "u"}', "-Availability", "Busy"],
         fqid=INTERNAL + "SetViaIdentityExpanded", mentions=("InputObject has null value for InputObject.PresenceId",)),
    _cli("id-slash-dots", ["-PresenceId", "a/../b", "-Availability", "Available", "-Activity", "Available"],
         segment="a%2F..%2Fb"),
    _cli("id-non-ascii", ["-PresenceId", NON_ASCII_ID, "-Availability", "Available", "-Activity", "Available"],
         segment=SEGMENTS[NON_ASCII_ID]),
]

ALL_CASES = PS_CASES + PY_CASES + CLI_CASES

# Rows that other engineers' code does not pass yet, with the owner and what is missing. They run
# as xfail(strict=True): the day the gap closes the row turns into a failure until removed here.
KNOWN_GAPS: dict[str, str] = {}


def error_cases(cases: list[Case]) -> list[Case]:
    return [c for c in cases if not c.valid]
