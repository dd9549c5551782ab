// The exception of an Invoke-MgGraphRequest HTTP error, under the original's name, so that scripts
// written against the original keep working: `catch [System.Net.Http.HttpRequestException]`, and
// `$_.Exception.Response.StatusCode -eq 404` with the response as a real HttpResponseMessage.
using System.Net.Http;

namespace Microsoft.Graph.PowerShell.Authentication.Helpers
{
    /// <summary>An HTTP error response: an <see cref="HttpRequestException"/> that carries the response.</summary>
    public sealed class HttpResponseException : HttpRequestException
    {
        /// <param name="message">What failed: "Response status code does not indicate success: NotFound (Not Found)."</param>
        /// <param name="response">The response that reported the error.</param>
        public HttpResponseException(string message, HttpResponseMessage response)
            : base(message)
        {
            Response = response!;
        }

        /// <summary>The error response, its body buffered.</summary>
        public HttpResponseMessage Response { get; }
    }
}
