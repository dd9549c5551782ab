"""The original's JSON reader (AutoRest's ``JsonNode.Parse``) as pwshcompat.operation.autorest_json
reproduces it, and what it makes of error bodies that start as JSON and are not (brief K item 4).

Expected messages are the reader's own (AutoRest runtime ``json/Parser``: ``JsonParser.ReadNode``,
``ReadObject``, ``ReadArray``, ``TokenReader.Ensure``, ``JsonTokenizer.ReadIdentifer``,
``SourceReader.ReadEscapeCode``; .NET 8's ``Dictionary.Add``, ``int.Parse`` and ``SourceReader.Next``
texts), traced by hand from that source for each input.
"""

from __future__ import annotations

from typing import Any, Iterator

import pytest

import pwshcompat
from pwshcompat.errors import CommandError
from pwshcompat.graph import request_context
from pwshcompat.operation import autorest_json
from pwshcompat.operation.jsontext import Number

from conftest import connect
from tests.reply_server import ReplyServer

PARSER = autorest_json.PARSER_EXCEPTION


@pytest.mark.parametrize("text,message,exception", [
    ("Bad request", "Expected '{' or '['. Was String: Bad.", PARSER),
    ("502 Bad Gateway", "Expected '{' or '['. Was Number: 502.", PARSER),
    ('"quoted"', "Expected '{' or '['. Was String: quoted.", PARSER),
    ("true", "Expected '{' or '['. Was Boolean: true.", PARSER),
    ("}", "Expected '{' or '['. Was RightBrace: }.", PARSER),
    ("<html>", "Expected literal (number, boolean, or null). Was '<'.", PARSER),
    ('"open', "Unexpected EOF while reading quoted string.", PARSER),
    ("{", "Expected String while reading Expected field name). Was Eof: .", PARSER),
    ('{"a": 1', "Expected String while reading Expected field name). Was Eof: .", PARSER),
    ('{"a" 1}', "Expected Colon while reading field). Was Number: 1.", PARSER),
    ("{ upstream timed out }", "Expected Colon while reading field). Was String: timed.", PARSER),
    ('{"a": }', "Unexpected token reading field value. Was RightBrace: }.", PARSER),
    ('{"a": :}', "Unexpected token reading field value. Was Colon: :.", PARSER),
    ('{"a": 1,,"b": 2}', "Expected String while reading Expected field name). Was Comma: ,.", PARSER),
    ("{1: 2}", "Expected String while reading Expected field name). Was Number: 1.", PARSER),
    ('{"a": [1, 2}', "Expected comma, literal, or object. Was RightBrace: }.", PARSER),
    ("[1,]", "Expected comma, literal, or object. Was RightBracket: ].", PARSER),
    ("[", "Expected comma, literal, or object. Was Eof: .", PARSER),
    ('{"a": <b>}', "Expected literal (number, boolean, or null). Was '<'.", PARSER),
    ('{"a": 1, "A": 2}', "An item with the same key has already been added. Key: A", "System.ArgumentException"),
    ('{"e": "\\q"}', "Unrecognized escape sequence '\\q'", "System.Exception"),
    ('{"e": "\\uzz12"}', "The input string 'zz12' was not in a correct format.", "System.FormatException"),
    ('{"e": "\\', "Cannot advance past end of stream.", "System.IO.EndOfStreamException"),
    ('{"e": "\\u12', "Cannot advance past end of stream.", "System.IO.EndOfStreamException"),
])
def test_the_reader_fails_as_the_originals(text: str, message: str, exception: str) -> None:
    with pytest.raises(autorest_json.ParseError) as failure:
        autorest_json.parse(text)
    assert (failure.value.message, failure.value.exception_type) == (message, exception)


@pytest.mark.parametrize("text,value", [
    ("", None), ("   \r\n\t", None), ("\0{", None),
    ('{"a": 1} trailing words', {"a": Number("1")}),
    ("{error: {code: Bad, message: Oops}}", {"error": {"code": "Bad", "message": "Oops"}}),
    ('[1.2.3, -e, null, false, "x\\u0041\\/"]', [Number("1.2.3"), Number("-e"), None, False, "xA/"]),
    ('{"a": {"b": []}, "c": "\\u00e9\\t"}', {"a": {"b": []}, "c": "\u00e9\t"}),
    ('{"\U0001F600": "\U0001F600"}', {"\U0001F600": "\U0001F600"}),
])
def test_the_reader_reads_what_the_original_reads(text: str, value: Any) -> None:
    assert autorest_json.parse(text) == value


def test_deep_nesting_is_refused_not_recursed_on() -> None:
    with pytest.raises(autorest_json.ParseError) as failure:
        autorest_json.parse("[" * 10_000)
    assert failure.value.exception_type == "System.InsufficientExecutionStackException"


@pytest.fixture(scope="module")
def server() -> Iterator[ReplyServer]:
    with ReplyServer() as replies:
        connect(replies.url, "AutoRestJson", "not-checked")
        request_context.update(retry_delay=0.0)
        try:
            yield replies
        finally:
            request_context.reset()


def _error(reply: str) -> Any:
    with pytest.raises(CommandError) as failure:
        pwshcompat.invoke("Set-MgBetaCommunicationPresenceUserPreferredPresence", PresenceId="u1",
                          Availability="Busy", Activity="Busy", Headers={"x-reply": reply})
    (record,) = failure.value.errors
    return record


INTERNAL = "Microsoft.Graph.Beta.PowerShell.Cmdlets.SetMgBetaCommunicationPresenceUserPreferredPresence_SetExpanded"


@pytest.mark.parametrize("reply,exception,message", [
    ("cut-json", "Microsoft.Graph.Beta.PowerShell.Runtime.Json.ParserException",
     "Expected String while reading Expected field name). Was Eof: ."),
    ("brace-text", "Microsoft.Graph.Beta.PowerShell.Runtime.Json.ParserException",
     "Expected Colon while reading field). Was String: timed."),
    ("twice-json", "System.ArgumentException", "An item with the same key has already been added. Key: Code"),
    ("bad-escape", "System.Exception", "Unrecognized escape sequence '\\q'"),
])
def test_a_body_that_starts_as_json_and_is_not_fails_as_the_originals_reader(server: ReplyServer, reply: str,
                                                                           exception: str, message: str) -> None:
    record = _error(reply)
    assert (record.fully_qualified_error_id, record.category.value) == (INTERNAL, "NotSpecified")
    assert (record.exception_type, record.message) == (exception, message)
    assert "\nBody:\n{" in (record.details_message or "")


def test_bare_words_read_as_a_graph_error_as_the_original_reads_them(server: ReplyServer) -> None:
    record = _error("bare-words")
    assert (record.fully_qualified_error_id, record.message) == ("badRequest," + INTERNAL, "[badRequest] : Refused")
    assert record.category.value == "InvalidOperation"
