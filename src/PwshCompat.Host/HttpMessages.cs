// pwshcompat.hostvalues.HttpResponseMessage -> System.Net.Http.HttpResponseMessage, as the original
// Invoke-MgGraphRequest hands it out (-OutputType HttpResponseMessage, HttpResponseException.Response):
// status, reason phrase, version 1.1, the headers (content headers on its Content), the body
// buffered, and a RequestMessage naming the method and URI. Call with the GIL held.
using System;
using System.Net;
using System.Net.Http;
using System.Runtime.InteropServices;
using Python.Runtime;

namespace PwshCompat.Host
{
    internal static class HttpMessages
    {
        public static HttpResponseMessage FromPython(PyObject value)
        {
            int status;
            using (var code = value.GetAttr("StatusCode"))
            {
                status = code.As<int>();
            }
            var message = new HttpResponseMessage((HttpStatusCode)status)
            {
                Version = HttpVersion.Version11,
                ReasonPhrase = Text(value, "ReasonPhrase"),
                Content = new ByteArrayContent(Body(value)),
            };
            string uri = Text(value, "RequestUri");
            message.RequestMessage = new HttpRequestMessage(new HttpMethod(Text(value, "RequestMethod")),
                Uri.TryCreate(uri, UriKind.Absolute, out Uri? parsed) ? parsed : null);
            using var headers = value.GetAttr("Headers");
            foreach (PyObject pair in headers.Each())
            {
                using (pair)
                using (var name = pair[0])
                using (var text = pair[1])
                {
                    string key = name.ToString()!;
                    if (string.Equals(key, "Content-Length", StringComparison.OrdinalIgnoreCase))
                    {
                        continue; // the buffered body's own length
                    }
                    if (!message.Headers.TryAddWithoutValidation(key, text.ToString()))
                    {
                        message.Content.Headers.TryAddWithoutValidation(key, text.ToString());
                    }
                }
            }
            return message;
        }

        private static string Text(PyObject value, string name)
        {
            using var attribute = value.GetAttr(name);
            return attribute.ToString() ?? string.Empty;
        }

        private static byte[] Body(PyObject value)
        {
            using var body = value.GetAttr("Body");
            using PyBuffer buffer = body.GetBuffer(PyBUF.SIMPLE);
            var bytes = new byte[buffer.Length];
            if (bytes.Length > 0)
            {
                Marshal.Copy(buffer.Buffer, bytes, 0, bytes.Length);
            }
            return bytes;
        }
    }
}
