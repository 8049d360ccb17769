// A batch read in place from a resident data set (BATCH_ROWS): row r of the
// batch is row batch_order[cursor + r] of the data set, where batch_order is
// the epoch's permutation and the cursor a one-value buffer on the device, so
// one recorded step serves every batch. No gathered copy, no dispatch of its
// own: the first layer's products and the loss read their rows through here.
// Positions past the permutation's end (`total`, from the instance's
// uniforms, BatchAt), and entries that name no row of the data set
// (`data_rows` rows), are NO_ROW, which the instance's loads read as zeros, as
// gather.wgsl's copy does: no read leaves the data set, whatever the
// permutation holds (Dawn runs our kernels without robustness clamps).

override BATCH_ROWS: bool = false;
const NO_ROW: u32 = 0xffffffffu;

@group(0) @binding(8) var<storage, read> batch_order: array<f32>;         // [total], with BATCH_ROWS
// The cursor at element `cursor_at`: read_write, for the loss kernel moves it
// on (with the rest of the step's state kept beside it: loss.wgsl).
@group(0) @binding(9) var<storage, read_write> batch_cursor: array<f32>;

// Where the batch starts: the cursor, less `behind` rows when the cursor has
// already been moved past this batch (by the loss that scored it).
struct BatchAt { total: u32, data_rows: u32, cursor_at: u32, behind: u32 }

// The data set's row that the batch's row r is (r itself without BATCH_ROWS).
fn batch_row(r: u32, at: BatchAt) -> u32 {
  if (!BATCH_ROWS) { return r; }
  let total = at.total;
  let data_rows = at.data_rows;
  let pos = u32(batch_cursor[at.cursor_at]) - at.behind + r;
  if (pos >= total) { return NO_ROW; }
  let row = batch_order[pos];
  if (!(row >= 0.0 && row < f32(data_rows))) { return NO_ROW; }
  return u32(row);
}
