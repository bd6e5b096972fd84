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
import { resolveParquetCodec } from "../../arrow/parquet.ts";
import type { ParquetCodecChoice } from "../../model/types.ts";
import { mcapFormat } from "./mcap_format.ts";
import { parquetFormat } from "./parquet_format.ts";

export { type ExportOptions, exportTopics, topicFilter, type TopicReport } from "./export.ts";
export { EXPORT_FORMATS, type ExportFormat, type ExportFormatName } from "./format.ts";

/**
 * The writer of each format; Parquet with the codec `parquetCodec` resolves to (default `auto`: the native
 * one where its library loads).
 * @throws Error when `native` is asked for and its library cannot load.
 */
export function exportFormat(
  name: ExportFormatName,
  parquetCodec: ParquetCodecChoice = "auto",
): ExportFormat {
  if (name !== "parquet") return name === "csv" ? csvFormat : mcapFormat;
  return parquetFormat(resolveParquetCodec(parquetCodec).codec);
}
