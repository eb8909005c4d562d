import PDFDocument from 'pdfkit';

/**
 * The page layout printed reports share (settlement, assessment): A4, a title bar, headings,
 * tables that repeat their header on a new page, a row of key figures, and a footer with page
 * numbers written once the page count is known. With no CJK font, Chinese labels are left out
 * and characters outside Latin-1 print as "?", so that a report still prints.
 */

/** A font file to embed (TrueType or OpenType; a face of a collection named by its PostScript name). */
export interface PdfFont {
  path: string;
  name?: string;
}

type Align = 'left' | 'right';
export interface Column {
  title: string;
  width: number;
  align?: Align;
}

export const A4 = { width: 595.28, height: 841.89 };
export const MARGIN = 40;
export const CONTENT = A4.width - 2 * MARGIN;
const ROW = 14;
export const INK = '#1a1a1a';
const RULE = '#9aa5b1';
const SHADE = '#e8edf2';
export const ACCENT = '#1f4e79';

/**
 * For print: thousands separators and at least two decimals, on the exact decimal string (trailing
 * zeros beyond the second dropped, nothing rounded, no float on the way).
 */
export function grouped(value: string): string {
  const [int, frac = ''] = value.split('.');
  const sign = int!.startsWith('-') ? '-' : '';
  const digits = int!.replace('-', '').replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return `${sign}${digits}.${frac.replace(/0+$/, '').padEnd(2, '0')}`;
}

export interface PdfLayout {
  doc: PDFKit.PDFDocument;
  /** Whether Chinese can be printed. */
  cjk: boolean;
  /** Text as the font can print it. */
  text(s: string): string;
  /** "中文 English" with a CJK font, the English alone without. */
  zh(en: string, chinese: string | undefined): string;
  /** A report's title bar and title. */
  title(title: string): void;
  heading(title: string): void;
  table(columns: Column[], rows: string[][], options?: { totalRow?: boolean; share?: number }): void;
  /** Boxes with a label and a value, side by side. */
  keyFigures(figures: [label: string, value: string][]): void;
  /** Writes the footer on every page and ends the document. */
  finish(footer: string): Promise<Buffer>;
}

export function pdfLayout(info: { title: string; createdAt: Date }, font: PdfFont | undefined): PdfLayout {
  const doc = new PDFDocument({
    size: 'A4',
    margins: { top: MARGIN, bottom: MARGIN + 14, left: MARGIN, right: MARGIN },
    bufferPages: true,
    info: { Title: info.title, Author: 'Metergraph', CreationDate: info.createdAt },
  });
  const chunks: Buffer[] = [];
  doc.on('data', (c: Buffer) => chunks.push(c));
  const done = new Promise<Buffer>((resolve, reject) => {
    doc.on('end', () => resolve(Buffer.concat(chunks)));
    doc.on('error', reject);
  });

  if (font) doc.registerFont('body', font.path, font.name ?? '');
  else doc.registerFont('body', 'Helvetica');
  doc.font('body');
  const cjk = font !== undefined;
  const text = (s: string) => (cjk ? s : s.replace(/[^\u0020-\u00ff]/g, '?'));
  const zh = (en: string, chinese: string | undefined) => (cjk && chinese ? `${chinese} ${en}` : en);

  const heading = (title: string) => {
    if (doc.y + 3 * ROW > A4.height - MARGIN - 14) doc.addPage();
    doc.moveDown(0.6);
    doc.fontSize(11).fillColor(ACCENT).text(text(title), MARGIN, doc.y);
    doc.moveDown(0.2);
    doc.fillColor(INK);
  };

  const table = (columns: Column[], rows: string[][], options: { totalRow?: boolean; share?: number } = {}) => {
    const width = CONTENT * (options.share ?? 1);
    const widths = columns.map((c) => (c.width * width) / columns.reduce((s, x) => s + x.width, 0));
    const drawRow = (cells: string[], style: 'head' | 'body' | 'total', shaded: boolean) => {
      if (doc.y + ROW > A4.height - MARGIN - 14) {
        doc.addPage();
        drawRow(
          columns.map((c) => c.title),
          'head',
          true,
        );
      }
      const y = doc.y;
      if (shaded) doc.rect(MARGIN, y, width, ROW).fill(style === 'head' ? SHADE : '#f6f8fa');
      if (style !== 'body')
        doc
          .moveTo(MARGIN, y + ROW)
          .lineTo(MARGIN + width, y + ROW)
          .lineWidth(0.5)
          .strokeColor(RULE)
          .stroke();
      doc.fillColor(style === 'head' ? ACCENT : INK).fontSize(style === 'head' ? 7.5 : 8);
      let x = MARGIN;
      cells.forEach((cell, i) => {
        doc.text(text(cell), x + 3, y + 3.5, {
          width: widths[i]! - 6,
          align: columns[i]!.align ?? 'left',
          lineBreak: false,
          ellipsis: true,
          height: ROW,
        });
        x += widths[i]!;
      });
      doc.x = MARGIN;
      doc.y = y + ROW;
    };
    drawRow(
      columns.map((c) => c.title),
      'head',
      true,
    );
    rows.forEach((row, i) => {
      const last = options.totalRow && i === rows.length - 1;
      drawRow(row, last ? 'total' : 'body', !last && i % 2 === 1);
    });
    doc.fillColor(INK);
  };

  const keyFigures = (figures: [string, string][]) => {
    const boxY = doc.y;
    const boxW = CONTENT / figures.length;
    figures.forEach(([label, value], i) => {
      const x = MARGIN + i * boxW;
      doc
        .rect(x + 2, boxY, boxW - 4, 40)
        .lineWidth(0.75)
        .strokeColor(RULE)
        .stroke();
      doc
        .fontSize(7.5)
        .fillColor('#555')
        .text(text(label), x + 8, boxY + 6, { width: boxW - 16 });
      doc
        .fontSize(12)
        .fillColor(INK)
        .text(text(value), x + 8, boxY + 19, { width: boxW - 16 });
    });
    doc.x = MARGIN;
    doc.y = boxY + 46;
  };

  const title = (heading: string) => {
    doc.rect(0, 0, A4.width, 6).fill(ACCENT);
    doc.fillColor(INK).fontSize(18).text(text(heading), MARGIN, MARGIN);
    doc.moveDown(0.3);
  };

  const finish = (footer: string) => {
    // Footer on every page, written into the bottom margin once the page count is known.
    const range = doc.bufferedPageRange();
    for (let i = range.start; i < range.start + range.count; i++) {
      doc.switchToPage(i);
      const bottom = doc.page.margins.bottom;
      doc.page.margins.bottom = 0;
      doc
        .fontSize(7.5)
        .fillColor('#666')
        .text(text(footer), MARGIN, A4.height - MARGIN + 6, { width: CONTENT / 2, lineBreak: false })
        .text(`Page ${i + 1} / ${range.count}`, MARGIN + CONTENT / 2, A4.height - MARGIN + 6, {
          width: CONTENT / 2,
          align: 'right',
          lineBreak: false,
        });
      doc.page.margins.bottom = bottom;
    }
    doc.end();
    return done;
  };

  return { doc, cjk, text, zh, title, heading, table, keyFigures, finish };
}
