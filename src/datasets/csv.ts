// Numeric CSV: a header row naming the columns, then one sample per line. The
// label is the last column unless another is named. Errors name the line and
// the column.

export interface CsvData {
  /** Names of the feature columns, in order. */
  features: string[];
  labelName: string;
  /** [rows × features.length], row-major. */
  x: Float32Array;
  /** One label per row. */
  y: Float32Array;
  rows: number;
}

export class CsvError extends Error {
  override name = 'CsvError';
}

function splitLine(line: string): string[] {
  return line.split(',').map((cell) => cell.trim().replace(/^"(.*)"$/, '$1'));
}

/**
 * A decimal number as people write them in a CSV: 12, -3.5, .5, 1e3. Not
 * what else Number() takes (0x10, 0o7, 0b1, Infinity, an empty cell), which
 * in a data file is a mistake rather than a value.
 */
const DECIMAL = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:e[+-]?\d+)?$/i;
const FLOAT32_MAX = 3.4028234663852886e38;

/** The cell's value, or why it is not one. */
function cellValue(cell: string): number | string {
  if (cell === '') return 'an empty cell is not a number';
  if (!DECIMAL.test(cell)) return `'${cell}' is not a number`;
  const v = Number(cell);
  if (!(Math.abs(v) <= FLOAT32_MAX)) return `'${cell}' is out of the float32 range`;
  return v;
}

/** Column names must be there and differ: a label or a feature is found by its name. */
function checkHeader(header: string[], where: string, line: number): void {
  header.forEach((name, i) => {
    if (name === '') throw new CsvError(`${where} line ${line}, column ${i + 1}: the header gives this column no name`);
    const first = header.indexOf(name);
    if (first !== i) throw new CsvError(`${where} line ${line}, column ${i + 1}: the header names '${name}' twice (columns ${first + 1} and ${i + 1})`);
  });
}

/** A CSV of features only (no label column), e.g. the rows to predict for. */
export function parseFeatureCsv(text: string, where: string): { features: string[]; x: Float32Array; rows: number } {
  const d = parseCsv(text, where, null);
  return { features: d.features, x: d.x, rows: d.rows };
}

/**
 * Parses CSV text; `where` (the file name) starts every error message. The
 * label is `labelColumn`, or the last column; `null` means there is none.
 */
export function parseCsv(text: string, where: string, labelColumn?: string | null): CsvData {
  const lines = text.split(/\r?\n/);
  const headerIndex = lines.findIndex((l) => l.trim() !== '');
  if (headerIndex < 0) throw new CsvError(`${where}: the file is empty`);
  const header = splitLine(lines[headerIndex]!);
  checkHeader(header, where, headerIndex + 1);
  const minColumns = labelColumn === null ? 1 : 2;
  if (header.length < minColumns) throw new CsvError(`${where} line ${headerIndex + 1}: the header needs at least two columns (features and a label)`);
  const labelAt = labelColumn === null ? -1 : labelColumn === undefined ? header.length - 1 : header.indexOf(labelColumn);
  if (labelAt < 0 && labelColumn !== null) throw new CsvError(`${where}: no column named '${labelColumn}' (columns: ${header.join(', ')})`);
  const features = header.filter((_, i) => i !== labelAt);

  const xs: number[] = [];
  const ys: number[] = [];
  for (let li = headerIndex + 1; li < lines.length; li++) {
    const line = lines[li]!;
    if (line.trim() === '') continue;
    const cells = splitLine(line);
    if (cells.length !== header.length) {
      throw new CsvError(`${where} line ${li + 1}: ${cells.length} values, but the header has ${header.length} columns`);
    }
    cells.forEach((cell, ci) => {
      const v = cellValue(cell);
      if (typeof v === 'string') throw new CsvError(`${where} line ${li + 1}, column ${ci + 1} ('${header[ci]}'): ${v}`);
      if (ci === labelAt) ys.push(v);
      else xs.push(v);
    });
  }
  const rows = xs.length / features.length;
  if (rows === 0) throw new CsvError(`${where}: a header but no data rows`);
  return { features, labelName: labelAt < 0 ? '' : header[labelAt]!, x: Float32Array.from(xs), y: Float32Array.from(ys), rows };
}
