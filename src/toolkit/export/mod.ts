/**
 * Export: a running daemon's sequences and topics to files other tools read, as Parquet (one file per
 * topic, the daemon's own writer), CSV (one file per topic, flattened columns) or MCAP (one file per
 * sequence, a JSON channel per topic). `mosaicod export` (`cli/export.ts`) parses options and prints;
 * the work is here.
 *
 * Layer: imports `client/`, `arrow/`, `model/` and `errors.ts`; never the daemon (app, flight handlers,
 * lifecycle, ingest, read, query, catalog, store, transport) nor `cli/`.
 *
 * @module
 */
import { csvFormat } from "./csv_format.ts";
import type { ExportFormat, ExportFormatName } from "./format.ts";
import type { ParquetCodec } from "../../model/types.ts";
import { mcapFormat } from "./mcap_format.ts";
import { parquetFormat } from "./parquet_format.ts";

export { type ExportOptions, exportTopics, topicFilter, type TopicReport } from "./export.ts";
export { EXPORT_FORMATS, type ExportFormat, type ExportFormatName } from "./format.ts";

/** The writer of each format; Parquet with `parquetCodec` (default wasm). */
export function exportFormat(name: ExportFormatName, parquetCodec: ParquetCodec = "wasm"): ExportFormat {
  return name === "parquet" ? parquetFormat(parquetCodec) : name === "csv" ? csvFormat : mcapFormat;
}
