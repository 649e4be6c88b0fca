/** Characters XML 1.0 does not allow anywhere (not even as references): C0 controls other than tab/LF/CR, lone surrogates, U+FFFE/U+FFFF. */
const ILLEGAL_XML_10 = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu;

const XML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' };

/** Text made safe for XML 1.0 content or a quoted attribute: illegal characters dropped, markup escaped. */
export function escapeXml(text: string): string {
  return text.replace(ILLEGAL_XML_10, '').replace(/[&<>"']/g, (c) => XML_ESCAPES[c] as string);
}
