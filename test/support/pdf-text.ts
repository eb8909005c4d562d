import { inflateSync } from 'node:zlib';

/**
 * The text a PDF from pdfkit shows, one line per text operation: its content streams decoded
 * through the ToUnicode maps of its embedded fonts (an embedded font's text is glyph codes, not
 * characters). Enough for tests to find a name in a printed report; not a general PDF parser.
 */
export function pdfText(pdf: Buffer): string[] {
  const raw = pdf.toString('latin1');
  const streams: string[] = [];
  const head = /<<((?:[^<>]|<<(?:[^<>]|<<[^<>]*>>)*>>|<[^<>]*>)*)>>\s*stream\r?\n/g;
  for (let m = head.exec(raw); m; m = head.exec(raw)) {
    const length = Number(/\/Length (\d+)(?! \d+ R)/.exec(m[1]!)?.[1]);
    if (!Number.isFinite(length)) continue;
    const start = m.index + m[0].length;
    const data = pdf.subarray(start, start + length);
    streams.push((/\/FlateDecode/.test(m[1]!) ? inflateSync(data) : data).toString('latin1'));
  }
  const unicode = new Map<number, string>();
  const utf16 = (hex: string) => String.fromCharCode(...(hex.match(/.{4}/g) ?? []).map((h) => parseInt(h, 16)));
  for (const cmap of streams.filter((s) => s.includes('begincmap'))) {
    for (const [, body] of cmap.matchAll(/beginbfrange([\s\S]*?)endbfrange/g))
      for (const [, from, to, target] of body!.matchAll(
        /<([0-9a-fA-F]+)>\s*<([0-9a-fA-F]+)>\s*(\[[^\]]*\]|<[0-9a-fA-F]+>)/g,
      )) {
        const first = parseInt(from!, 16);
        const last = parseInt(to!, 16);
        if (target!.startsWith('[')) {
          [...target!.matchAll(/<([0-9a-fA-F]+)>/g)].forEach(([, hex], i) => unicode.set(first + i, utf16(hex!)));
        } else {
          const base = parseInt(target!.slice(1, -1), 16);
          for (let code = first; code <= last; code++) unicode.set(code, String.fromCharCode(base + code - first));
        }
      }
    for (const [, body] of cmap.matchAll(/beginbfchar([\s\S]*?)endbfchar/g))
      for (const [, code, target] of body!.matchAll(/<([0-9a-fA-F]+)>\s*<([0-9a-fA-F]+)>/g))
        unicode.set(parseInt(code!, 16), utf16(target!));
  }
  const decode = (hex: string) =>
    (hex.match(/.{4}/g) ?? []).map((h) => unicode.get(parseInt(h, 16)) ?? '\uFFFD').join('');
  const lines: string[] = [];
  for (const content of streams.filter((s) => /\bT[Jj]\b/.test(s) && !s.includes('begincmap')))
    for (const [, operand] of content.matchAll(/(\[[^\]]*\]|<[0-9a-fA-F]*>)\s*T[Jj]/g))
      lines.push([...operand!.matchAll(/<([0-9a-fA-F]*)>/g)].map(([, hex]) => decode(hex!)).join(''));
  return lines;
}
