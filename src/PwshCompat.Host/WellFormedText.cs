// Text as .NET puts it on the wire: a lone UTF-16 surrogate (half of an emoji cut by Substring, for
// example) becomes U+FFFD, as Uri.EscapeDataString and the UTF-8 encoder write it. Python strings
// cannot hold such text once it crosses the bridge (PyString throws), so the bridge repairs it first.

using System.Text;

namespace PwshCompat.Host
{
    internal static class WellFormedText
    {
        /// <summary><paramref name="text"/> itself when well-formed UTF-16, else a copy with each lone surrogate as U+FFFD.</summary>
        public static string Of(string text)
        {
            for (int i = 0; i < text.Length; i++)
            {
                if (!char.IsSurrogate(text[i]))
                {
                    continue;
                }
                if (char.IsHighSurrogate(text[i]) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
                {
                    i++;
                    continue;
                }
                return Repair(text);
            }
            return text;
        }

        private static string Repair(string text)
        {
            var builder = new StringBuilder(text.Length);
            for (int i = 0; i < text.Length; i++)
            {
                char c = text[i];
                if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
                {
                    builder.Append(c).Append(text[++i]);
                }
                else
                {
                    builder.Append(char.IsSurrogate(c) ? '\uFFFD' : c);
                }
            }
            return builder.ToString();
        }
    }
}
