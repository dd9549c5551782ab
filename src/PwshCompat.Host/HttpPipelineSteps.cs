// -HttpPipelinePrepend / -HttpPipelineAppend: the original's AutoRest HttpPipeline around the Graph
// client (issue 13.5). The steps are PowerShell script blocks (or any delegates) of the module's
// Runtime.SendAsyncStep type: step($request, $callback, $next), $request a real HttpRequestMessage,
// $next.SendAsync($request, $callback) the rest of the pipeline. The innermost "send" goes back into
// Python, whose Graph client adds what the original's HttpClient handlers add (authorization,
// client-request-id, SdkVersion, retries, redirects), so the steps run once per request, before all
// of that, as in the original.
//
// Order (AutoRest's HttpPipeline, Prepend(items) and Append(items)): each -HttpPipelinePrepend step
// is put outside the ones before it, so the last one given runs first; each -HttpPipelineAppend step
// goes just before the send, in the order given. Prepend [A, B], Append [C, D]: B, A, C, D, send.
//
// The steps run on the calling pipeline thread, inside the command's call into Python: Python calls
// Send (pythonnet releases the GIL for it), which takes the GIL only to read and make Python values
// and to call back into Python for the send.
using System;
using System.Collections;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using System.Net;
using System.Net.Http;
using System.Net.Http.Headers;
using System.Reflection;
using System.Threading;
using System.Threading.Tasks;
using Python.Runtime;

namespace PwshCompat.Host
{
    /// <summary>One step as the host runs it: the request and the rest of the pipeline.</summary>
    public delegate Task<HttpResponseMessage> PipelineStep(HttpRequestMessage request, PipelineNext next);

    /// <summary>The rest of the pipeline after a step (what its $next sends to).</summary>
    public sealed class PipelineNext
    {
        private readonly Func<HttpRequestMessage, Task<HttpResponseMessage>> send;

        internal PipelineNext(Func<HttpRequestMessage, Task<HttpResponseMessage>> send, CancellationToken token, Action cancel)
        {
            this.send = send;
            Token = token;
            Cancel = cancel;
        }

        public CancellationToken Token { get; }

        public Action Cancel { get; }

        public Task<HttpResponseMessage> Send(HttpRequestMessage request) => send(request);
    }

    /// <summary>The pipeline steps of one call; handed to Python as the bound key __HttpPipeline.</summary>
    public sealed class HttpPipelineSteps
    {
        private readonly PipelineStep[] steps; // in the order they run
        private readonly CancellationTokenSource cancellation = new();

        private HttpPipelineSteps(PipelineStep[] steps) => this.steps = steps;

        /// <summary>The steps of -HttpPipelinePrepend and -HttpPipelineAppend; null when there are none.</summary>
        public static HttpPipelineSteps? From(object? prepend, object? append)
        {
            var ordered = new List<PipelineStep>();
            ordered.AddRange(Delegates(prepend).Reverse().Select(Adapt));
            ordered.AddRange(Delegates(append).Select(Adapt));
            return ordered.Count == 0 ? null : new HttpPipelineSteps(ordered.ToArray());
        }

        private static IEnumerable<Delegate> Delegates(object? value)
        {
            value = value is PSObject wrapped ? wrapped.BaseObject : value;
            if (value is Delegate single)
            {
                return new[] { single };
            }
            if (value is not IEnumerable items)
            {
                return Array.Empty<Delegate>();
            }
            return items.Cast<object?>().Select(i => i is PSObject p ? p.BaseObject : i).OfType<Delegate>().ToArray();
        }

        /// <summary>A module's SendAsyncStep as a host step, through the module's generated PwshCompatSteps.Adapt.</summary>
        private static PipelineStep Adapt(Delegate step)
        {
            Type type = step.GetType();
            MethodInfo? adapt = type.Assembly.GetType($"{type.Namespace}.PwshCompatSteps")?.GetMethod("Adapt", new[] { type });
            if (adapt is null)
            {
                throw new ArgumentException($"{type.FullName} is not a pipeline step type of these modules.");
            }
            return (PipelineStep)adapt.Invoke(null, new object[] { step })!;
        }

        /// <summary>
        /// Runs the steps around one request and returns the final response to Python (called by
        /// pwshcompat.operation.steps with the GIL held): <c>(status, reason, [(name, value), ...],
        /// body hex)</c>, or <c>(None, exception type, message)</c> when the pipeline failed.
        /// <paramref name="headers"/> is a list of (name, value) pairs, <paramref name="bodyHex"/>
        /// the body as hex text or None; <paramref name="terminal"/> sends a request and returns the
        /// same shape (None when sending failed; Python keeps that error).
        /// </summary>
        public PyObject Send(string method, string url, PyObject headers, PyObject bodyHex, PyObject terminal)
        {
            // pythonnet releases the GIL around calls into .NET: it is taken here only to read and
            // make Python values, so the steps (PowerShell) run without it.
            try
            {
                using var request = new HttpRequestMessage(new HttpMethod(method), url);
                using (Py.GIL())
                {
                    foreach (PyObject pair in headers.Each())
                    {
                        using (pair)
                        using (var name = pair[0])
                        using (var value = pair[1])
                        {
                            request.Headers.TryAddWithoutValidation(name.ToString()!, value.ToString());
                        }
                    }
                    if (bodyHex is not null && !bodyHex.IsNone())
                    {
                        request.Content = new ByteArrayContent(Convert.FromHexString(bodyHex.ToString()!));
                        request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse("application/json");
                    }
                }
                Func<HttpRequestMessage, Task<HttpResponseMessage>> chain = r => Terminal(r, terminal);
                for (int i = steps.Length - 1; i >= 0; i--)
                {
                    PipelineStep step = steps[i];
                    var next = new PipelineNext(chain, cancellation.Token, cancellation.Cancel);
                    chain = r => step(r, next) ?? throw new InvalidOperationException(
                        "A step of -HttpPipelinePrepend or -HttpPipelineAppend returned no response (it must return $next.SendAsync(...) or a response task).");
                }
                HttpResponseMessage response = chain(request).GetAwaiter().GetResult()
                    ?? throw new InvalidOperationException("A step of -HttpPipelinePrepend or -HttpPipelineAppend returned no response.");
                using (response)
                {
                    return ToPython(response);
                }
            }
            catch (Exception ex)
            {
                Exception inner = Unwrap(ex);
                using (Py.GIL())
                {
                    return new PyTuple(new PyObject[] { PyObject.None, new PyString(inner.GetType().FullName ?? "System.Exception"), new PyString(inner.Message) });
                }
            }
        }

        private static Exception Unwrap(Exception ex)
        {
            while (ex is AggregateException { InnerExceptions.Count: 1 } or TargetInvocationException && ex.InnerException is not null)
            {
                ex = ex.InnerException!;
            }
            return ex is MethodInvocationException { InnerException: not null } m ? Unwrap(m.InnerException!) : ex;
        }

        /// <summary>The innermost send: back into Python, whose Graph client sends the request as it is now.</summary>
        private static Task<HttpResponseMessage> Terminal(HttpRequestMessage request, PyObject terminal)
        {
            byte[]? body = request.Content?.ReadAsByteArrayAsync().GetAwaiter().GetResult();
            using (Py.GIL())
            {
                using var pairs = new PyList();
                IEnumerable<KeyValuePair<string, IEnumerable<string>>> all = request.Headers;
                if (request.Content is not null)
                {
                    all = all.Concat(request.Content.Headers.Where(h => !string.Equals(h.Key, "Content-Length", StringComparison.OrdinalIgnoreCase)));
                }
                foreach (var header in all)
                {
                    using var pair = new PyTuple(new PyObject[] { new PyString(header.Key), new PyString(string.Join(", ", header.Value)) });
                    pairs.Append(pair);
                }
                using var pyMethod = new PyString(request.Method.Method);
                using var pyUrl = new PyString(request.RequestUri?.AbsoluteUri ?? string.Empty);
                using var pyBody = body is null ? PyObject.None : new PyString(Convert.ToHexString(body));
                using var result = terminal.Invoke(pyMethod, pyUrl, pairs, pyBody);
                if (result.IsNone())
                {
                    throw new HttpRequestException("The request could not be sent.");
                }
                using var status = result[0];
                using var reason = result[1];
                using var headers = result[2];
                using var content = result[3];
                var response = new HttpResponseMessage((HttpStatusCode)status.As<int>())
                {
                    ReasonPhrase = reason.ToString(),
                    RequestMessage = request,
                    Content = new ByteArrayContent(Convert.FromHexString(content.ToString()!)),
                };
                foreach (PyObject pair in headers.Each())
                {
                    using (pair)
                    using (var name = pair[0])
                    using (var value = pair[1])
                    {
                        string n = name.ToString()!, v = value.ToString()!;
                        if (!response.Headers.TryAddWithoutValidation(n, v))
                        {
                            response.Content.Headers.TryAddWithoutValidation(n, v);
                        }
                    }
                }
                return Task.FromResult(response);
            }
        }

        private static PyObject ToPython(HttpResponseMessage response)
        {
            IEnumerable<KeyValuePair<string, IEnumerable<string>>> all = response.Headers;
            byte[] body = Array.Empty<byte>();
            if (response.Content is not null)
            {
                body = response.Content.ReadAsByteArrayAsync().GetAwaiter().GetResult();
                all = all.Concat(response.Content.Headers);
            }
            var headers = all.SelectMany(h => h.Value.Select(v => (h.Key, v))).ToList();
            using (Py.GIL())
            {
                var pairs = new PyList();
                foreach (var (name, value) in headers)
                {
                    using var pair = new PyTuple(new PyObject[] { new PyString(name), new PyString(value) });
                    pairs.Append(pair);
                }
                return new PyTuple(new PyObject[]
                {
                    new PyInt((int)response.StatusCode),
                    new PyString(response.ReasonPhrase ?? string.Empty),
                    pairs,
                    new PyString(Convert.ToHexString(body)),
                });
            }
        }
    }
}
