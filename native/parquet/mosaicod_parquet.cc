// mosaicod's native Parquet codec: a C interface over Arrow C++'s libparquet (the library pyarrow
// wraps), loaded by src/arrow/_parquet_native.ts with Deno.dlopen when the daemon runs with
// `--parquet-codec native`. It does the same two jobs as parquet-wasm on the hot paths:
// - a writer: IPC RecordBatch messages in (header flatbuffer + body, read in place from the caller's
//   memory), Parquet bytes out, row group by row group, with the writer settings src/arrow/parquet.ts
//   decides (passed in, never chosen here);
// - a reader: a chunk opened from a local file (positioned reads) or from bytes, decoded row group by
//   row group into Arrow IPC streams of one batch each.
// Output is held here until the caller copies it out (`*_take`), so no pointer into this library's
// memory ever reaches JavaScript. Errors: a call that fails returns a negative number or null and
// leaves its message in `mq_error()` (per thread) and its kind in `mq_error_kind()`.
//
// Knows nothing of Flight, catalogs or stores: bytes and Arrow only.

#include <arrow/api.h>
#include <arrow/io/api.h>
#include <arrow/ipc/api.h>
#include <arrow/util/compression.h>
#include <parquet/arrow/reader.h>
#include <parquet/arrow/schema.h>
#include <parquet/schema.h>
#include <parquet/arrow/writer.h>
#include <parquet/exception.h>
#include <parquet/properties.h>

#include "column_stats.h"

#include <cstdint>
#include <cstring>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#define MQ_API __attribute__((visibility("default")))

namespace {

// Error kinds, as src/arrow/_parquet_native.ts maps them.
constexpr int32_t kInvalid = 1;  // bad input: the caller's data or file is not what it claims
constexpr int32_t kIo = 2;       // the file could not be read (missing, unreadable)
constexpr int32_t kInternal = 3; // anything else

thread_local std::string last_error;
thread_local int32_t last_kind = 0;

void fail(int32_t kind, const std::string& message) {
  last_kind = kind;
  last_error = message;
}

void fail(const arrow::Status& st) {
  fail(st.IsIOError() ? kIo : (st.IsInvalid() || st.IsTypeError() || st.IsIndexError() ||
                               st.IsNotImplemented() || st.IsCapacityError())
                                  ? kInvalid
                                  : kInternal,
       st.message());
}

// An output stream that keeps what was written until the caller takes it, while counting every byte
// ever written (the Parquet writer records offsets from Tell()).
class PendingOutput : public arrow::io::OutputStream {
 public:
  arrow::Status Close() override {
    closed_ = true;
    return arrow::Status::OK();
  }
  bool closed() const override { return closed_; }
  arrow::Result<int64_t> Tell() const override { return position_; }
  arrow::Status Write(const void* data, int64_t nbytes) override {
    const auto* p = static_cast<const uint8_t*>(data);
    pending_.insert(pending_.end(), p, p + nbytes);
    position_ += nbytes;
    return arrow::Status::OK();
  }
  int64_t pending() const { return static_cast<int64_t>(pending_.size()); }
  void reserve(int64_t bytes) { pending_.reserve(static_cast<size_t>(std::max<int64_t>(0, bytes))); }
  void take(uint8_t* dst) {
    if (!pending_.empty()) std::memcpy(dst, pending_.data(), pending_.size());
    pending_.clear();
    if (pending_.capacity() > (64u << 20)) pending_.shrink_to_fit();
  }

 private:
  std::vector<uint8_t> pending_;
  int64_t position_ = 0;
  bool closed_ = false;
};

struct Writer {
  std::shared_ptr<arrow::Schema> schema;
  std::shared_ptr<PendingOutput> sink;
  std::unique_ptr<parquet::arrow::FileWriter> writer;
  int64_t row_group_bytes = 0;
  int64_t group_bytes = 0;  // Arrow body bytes in the open row group
  int64_t rows = 0;
  std::string stats;  // the last batch's column statistics (column_stats.h), JSON
};

// The reader's answer until taken: record batches (null: the schema alone), each to be written as an IPC
// stream of its own straight into the caller's buffer, and the exact length of each stream.
struct Output {
  std::shared_ptr<arrow::Schema> schema;
  std::vector<std::shared_ptr<arrow::RecordBatch>> batches;
  std::vector<int64_t> sizes;
};

struct Reader {
  std::shared_ptr<arrow::io::RandomAccessFile> file;
  std::unique_ptr<parquet::arrow::FileReader> reader;
  std::shared_ptr<arrow::Schema> schema;
  Output out;
};

// Writes `batch` (none: the schema alone) as an IPC stream (schema, batch, end marker) to `sink`.
arrow::Status WriteStream(const std::shared_ptr<arrow::Schema>& schema, const arrow::RecordBatch* batch,
                          const std::shared_ptr<arrow::io::OutputStream>& sink) {
  ARROW_ASSIGN_OR_RAISE(auto writer, arrow::ipc::MakeStreamWriter(sink, schema));
  if (batch != nullptr) ARROW_RETURN_NOT_OK(writer->WriteRecordBatch(*batch));
  return writer->Close();
}

// Adds `batch` to the answer with its stream's exact length, counted without copying any data, so that
// the caller can give a buffer of that size to write it into (one copy, no buffer growing as it is written).
arrow::Status AppendStream(const std::shared_ptr<arrow::Schema>& schema, std::shared_ptr<arrow::RecordBatch> batch,
                           Output* out) {
  auto counter = std::make_shared<arrow::io::MockOutputStream>();
  ARROW_RETURN_NOT_OK(WriteStream(schema, batch.get(), counter));
  out->schema = schema;
  out->batches.push_back(std::move(batch));
  out->sizes.push_back(counter->GetExtentBytesWritten());
  return arrow::Status::OK();
}

arrow::Result<std::shared_ptr<arrow::Schema>> ReadEncapsulatedSchema(const uint8_t* bytes, int64_t len) {
  auto buffer = std::make_shared<arrow::Buffer>(bytes, len);
  arrow::io::BufferReader input(buffer);
  arrow::ipc::DictionaryMemo memo;
  return arrow::ipc::ReadSchema(&input, &memo);
}

arrow::Status OpenWriter(Writer* w, const uint8_t* schema_bytes, int64_t schema_len, int32_t codec,
                         int32_t dictionary, int32_t statistics, int64_t write_batch_size,
                         int64_t max_row_group_rows, int64_t page_bytes, int64_t dictionary_page_bytes,
                         const char* plain_columns, const char* uncompressed_columns) {
  ARROW_ASSIGN_OR_RAISE(w->schema, ReadEncapsulatedSchema(schema_bytes, schema_len));
  parquet::WriterProperties::Builder props;
  props.version(parquet::ParquetVersion::PARQUET_2_6)
      ->data_page_version(parquet::ParquetDataPageVersion::V2)
      ->compression(codec == 1 ? arrow::Compression::ZSTD : arrow::Compression::SNAPPY)
      ->dictionary_pagesize_limit(dictionary_page_bytes)
      ->write_batch_size(write_batch_size)
      ->max_row_group_length(max_row_group_rows)
      ->data_pagesize(page_bytes);
  // ZSTD at Arrow's default level, 1, as parquet-wasm writes it. Not set explicitly: a level set for the
  // file applies to every column, and an uncompressed column refuses one.
  {
    std::stringstream names(uncompressed_columns == nullptr ? "" : uncompressed_columns);
    for (std::string name; std::getline(names, name, '\n');) {
      if (!name.empty()) props.compression(name, arrow::Compression::UNCOMPRESSED);
    }
  }
  if (dictionary) {
    props.enable_dictionary();
    std::stringstream names(plain_columns == nullptr ? "" : plain_columns);
    for (std::string name; std::getline(names, name, '\n');) {
      if (!name.empty()) props.disable_dictionary(name);
    }
  } else {
    props.disable_dictionary();
  }
  if (statistics) props.enable_statistics();
  else props.disable_statistics();
  // List children keep their Arrow names ("item"), as parquet-wasm writes them.
  auto arrow_props =
      parquet::ArrowWriterProperties::Builder().store_schema()->disable_compliant_nested_types()->build();
  // Where a column is not (or no longer: a dictionary that outgrew its page) dictionary-encoded, arrow-rs's
  // version 2 writer, which parquet-wasm is, encodes integers DELTA_BINARY_PACKED and byte arrays
  // DELTA_BYTE_ARRAY (floats and booleans as Arrow C++ does): the same here, so both codecs write the same.
  std::shared_ptr<parquet::SchemaDescriptor> leaves;
  ARROW_RETURN_NOT_OK(parquet::arrow::ToParquetSchema(w->schema.get(), *props.build(), *arrow_props, &leaves));
  for (int i = 0; i < leaves->num_columns(); i++) {
    const auto* column = leaves->Column(i);
    const auto path = column->path()->ToDotString();
    switch (column->physical_type()) {
      case parquet::Type::INT32:
      case parquet::Type::INT64:
        props.encoding(path, parquet::Encoding::DELTA_BINARY_PACKED);
        break;
      case parquet::Type::BYTE_ARRAY:
      case parquet::Type::FIXED_LEN_BYTE_ARRAY:
        props.encoding(path, parquet::Encoding::DELTA_BYTE_ARRAY);
        break;
      default:
        break;
    }
  }
  w->sink = std::make_shared<PendingOutput>();
  w->sink->reserve(std::min<int64_t>(w->row_group_bytes, 16 << 20));  // a row group's bytes, without regrowing
  ARROW_ASSIGN_OR_RAISE(w->writer, parquet::arrow::FileWriter::Open(*w->schema, arrow::default_memory_pool(),
                                                                   w->sink, props.build(), arrow_props));
  return arrow::Status::OK();
}

bool IsNull(const arrow::ArrayData& data, int64_t i) {
  return data.buffers[0] != nullptr && !arrow::bit_util::GetBit(data.buffers[0]->data(), data.offset + i);
}

// Arrow lets a non-nullable child hold nulls where its parent is null (the parent hides them); Arrow
// C++'s Parquet writer refuses them all the same, where parquet-wasm writes them (the parent's level
// hides them in Parquet too). Returns `data` with such hidden nulls dropped from those children's
// validity, so both codecs accept the same batches; a null a valid parent shows is refused, as both do.
arrow::Result<std::shared_ptr<arrow::ArrayData>> DropHiddenNulls(const std::shared_ptr<arrow::ArrayData>& data,
                                                                 const std::string& path) {
  const auto id = data->type->id();
  const bool nested = id == arrow::Type::STRUCT || id == arrow::Type::FIXED_SIZE_LIST ||
                      id == arrow::Type::LIST || id == arrow::Type::LARGE_LIST;
  if (!nested) return data;
  std::shared_ptr<arrow::ArrayData> out;
  for (int c = 0; c < data->type->num_fields(); c++) {
    const auto& field = data->type->field(c);
    ARROW_ASSIGN_OR_RAISE(auto child, DropHiddenNulls(data->child_data[c], path + "." + field->name()));
    if (!field->nullable() && child->buffers[0] != nullptr && child->GetNullCount() > 0) {
      // Each parent row's child range (in the child's logical indexes).
      for (int64_t row = 0; row < data->length; row++) {
        int64_t from = data->offset + row, to = from + 1;
        if (id == arrow::Type::FIXED_SIZE_LIST) {
          const int64_t size = static_cast<const arrow::FixedSizeListType&>(*data->type).list_size();
          from *= size;
          to = from + size;
        } else if (id == arrow::Type::LIST) {
          const auto* offsets = data->GetValues<int32_t>(1);
          from = offsets[row];
          to = offsets[row + 1];
        } else if (id == arrow::Type::LARGE_LIST) {
          const auto* offsets = data->GetValues<int64_t>(1);
          from = offsets[row];
          to = offsets[row + 1];
        }
        if (IsNull(*data, row)) continue;
        for (int64_t k = from; k < to; k++) {
          if (IsNull(*child, k)) {
            return arrow::Status::Invalid("Column '", path, ".", field->name(),
                                          "' is declared non-nullable but contains nulls");
          }
        }
      }
      child = child->Copy();
      child->buffers[0] = nullptr;
      child->null_count = 0;
    }
    if (child != data->child_data[c]) {
      if (!out) out = data->Copy();
      out->child_data[c] = child;
    }
  }
  return out ? out : data;
}

arrow::Status WriteMessage(Writer* w, const uint8_t* header, int64_t header_len, const uint8_t* body,
                           int64_t body_len) {
  auto metadata = std::make_shared<arrow::Buffer>(header, header_len);
  auto body_buffer = std::make_shared<arrow::Buffer>(body, body_len);
  ARROW_ASSIGN_OR_RAISE(auto message, arrow::ipc::Message::Open(metadata, body_buffer));
  if (message->type() != arrow::ipc::MessageType::RECORD_BATCH) {
    return arrow::Status::Invalid("not a RecordBatch message");
  }
  arrow::ipc::DictionaryMemo memo;
  auto options = arrow::ipc::IpcReadOptions::Defaults();
  options.use_threads = false;
  options.ensure_alignment = arrow::ipc::Alignment::kDataTypeSpecificAlignment;
  ARROW_ASSIGN_OR_RAISE(auto batch, arrow::ipc::ReadRecordBatch(*message, w->schema, &memo, options));
  ARROW_RETURN_NOT_OK(batch->ValidateFull());
  w->stats = mosaicod_stats::BatchStats().Of(*batch);
  std::vector<std::shared_ptr<arrow::ArrayData>> columns;
  bool changed = false;
  for (int c = 0; c < batch->num_columns(); c++) {
    ARROW_ASSIGN_OR_RAISE(auto column, DropHiddenNulls(batch->column_data(c), w->schema->field(c)->name()));
    changed = changed || column != batch->column_data(c);
    columns.push_back(std::move(column));
  }
  if (changed) batch = arrow::RecordBatch::Make(w->schema, batch->num_rows(), std::move(columns));
  if (w->group_bytes > 0 && w->group_bytes + body_len > w->row_group_bytes) {
    ARROW_RETURN_NOT_OK(w->writer->NewBufferedRowGroup());
    w->group_bytes = 0;
  }
  ARROW_RETURN_NOT_OK(w->writer->WriteRecordBatch(*batch));
  w->group_bytes += body_len;
  w->rows += batch->num_rows();
  return arrow::Status::OK();
}

arrow::Status OpenReader(Reader* r, std::shared_ptr<arrow::io::RandomAccessFile> file) {
  r->file = std::move(file);
  parquet::arrow::FileReaderBuilder builder;
  ARROW_RETURN_NOT_OK(builder.Open(r->file));
  parquet::ArrowReaderProperties props;
  props.set_use_threads(false);
  builder.properties(props);
  builder.memory_pool(arrow::default_memory_pool());
  ARROW_ASSIGN_OR_RAISE(r->reader, builder.Build());
  ARROW_RETURN_NOT_OK(r->reader->GetSchema(&r->schema));
  return arrow::Status::OK();
}

// Top-level field indexes → the leaf columns under them (what ReadRowGroup takes).
arrow::Result<std::vector<int>> LeavesOf(Reader* r, const int32_t* fields, int32_t count) {
  std::vector<int> leaves;
  const auto& manifest = r->reader->manifest();
  for (int32_t k = 0; k < count; k++) {
    if (fields[k] < 0 || fields[k] >= static_cast<int32_t>(manifest.schema_fields.size())) {
      return arrow::Status::Invalid("no such column");
    }
    std::vector<const parquet::arrow::SchemaField*> stack{&manifest.schema_fields[fields[k]]};
    while (!stack.empty()) {
      const auto* f = stack.back();
      stack.pop_back();
      if (f->is_leaf()) leaves.push_back(f->column_index);
      for (auto it = f->children.rbegin(); it != f->children.rend(); ++it) stack.push_back(&*it);
    }
  }
  return leaves;
}

arrow::Status ReadGroup(Reader* r, int group, int64_t batch_bytes) {
  auto meta = r->reader->parquet_reader()->metadata()->RowGroup(group);
  const int64_t rows = meta->num_rows();
  if (rows == 0) return arrow::Status::OK();
  ARROW_ASSIGN_OR_RAISE(auto table, r->reader->ReadRowGroup(group));
  ARROW_ASSIGN_OR_RAISE(table, table->CombineChunks());
  const double per_row = std::max(1.0, static_cast<double>(meta->total_byte_size()) / rows);
  const int64_t batch_rows =
      batch_bytes <= 0 ? rows : std::max<int64_t>(1, std::min<int64_t>(rows, batch_bytes / per_row));
  arrow::TableBatchReader batches(*table);
  batches.set_chunksize(batch_rows);
  for (;;) {
    std::shared_ptr<arrow::RecordBatch> batch;
    ARROW_RETURN_NOT_OK(batches.ReadNext(&batch));
    if (!batch) break;
    ARROW_RETURN_NOT_OK(AppendStream(table->schema(), std::move(batch), &r->out));
  }
  return arrow::Status::OK();
}

template <typename F>
int64_t guarded(F&& fn) {
  try {
    return fn();
  } catch (const parquet::ParquetException& e) {
    fail(kInvalid, e.what());
  } catch (const std::bad_alloc&) {
    fail(kInternal, "out of memory");
  } catch (const std::exception& e) {
    fail(kInternal, e.what());
  }
  return -1;
}

}  // namespace

extern "C" {

MQ_API const char* mq_error() { return last_error.c_str(); }
MQ_API int32_t mq_error_kind() { return last_kind; }
MQ_API const char* mq_version() { return ARROW_VERSION_STRING; }

MQ_API void* mqw_open(const uint8_t* schema, int64_t schema_len, int32_t codec, int32_t dictionary,
               int32_t statistics, int64_t write_batch_size, int64_t max_row_group_rows,
               int64_t row_group_bytes, int64_t page_bytes, int64_t dictionary_page_bytes,
               const char* plain_columns, const char* uncompressed_columns) {
  auto w = std::make_unique<Writer>();
  w->row_group_bytes = row_group_bytes;
  const int64_t ok = guarded([&]() -> int64_t {
    auto st = OpenWriter(w.get(), schema, schema_len, codec, dictionary, statistics, write_batch_size,
                         max_row_group_rows, page_bytes, dictionary_page_bytes, plain_columns,
                         uncompressed_columns);
    if (!st.ok()) {
      fail(st);
      return -1;
    }
    return 0;
  });
  return ok == 0 ? w.release() : nullptr;
}

// Writes one IPC RecordBatch message; returns the rows written so far, or -1.
MQ_API int64_t mqw_write(void* handle, const uint8_t* header, int64_t header_len, const uint8_t* body,
                  int64_t body_len) {
  auto* w = static_cast<Writer*>(handle);
  return guarded([&]() -> int64_t {
    auto st = WriteMessage(w, header, header_len, body, body_len);
    if (!st.ok()) {
      fail(st.IsInvalid() || st.IsIOError() ? kInvalid : kInternal, st.message());
      return -1;
    }
    return w->rows;
  });
}

// The column statistics of the batch the last successful mqw_write wrote (JSON; valid until the next call).
MQ_API const char* mqw_stats(void* handle) { return static_cast<Writer*>(handle)->stats.c_str(); }

MQ_API int64_t mqw_pending(void* handle) { return static_cast<Writer*>(handle)->sink->pending(); }

MQ_API void mqw_take(void* handle, uint8_t* dst) { static_cast<Writer*>(handle)->sink->take(dst); }

// Ends the file (footer into the pending output); returns the rows written, or -1.
MQ_API int64_t mqw_close(void* handle) {
  auto* w = static_cast<Writer*>(handle);
  return guarded([&]() -> int64_t {
    auto st = w->writer->Close();
    if (!st.ok()) {
      fail(st);
      return -1;
    }
    return w->rows;
  });
}

MQ_API void mqw_free(void* handle) { delete static_cast<Writer*>(handle); }

MQ_API void* mqr_open_path(const char* path) {
  auto r = std::make_unique<Reader>();
  const int64_t ok = guarded([&]() -> int64_t {
    auto file = arrow::io::ReadableFile::Open(path);
    if (!file.ok()) {
      fail(kIo, file.status().message());
      return -1;
    }
    auto st = OpenReader(r.get(), *file);
    if (!st.ok()) {
      fail(kInvalid, st.message());  // the file opened: what fails now is its content
      return -1;
    }
    return 0;
  });
  return ok == 0 ? r.release() : nullptr;
}

MQ_API void* mqr_open_bytes(const uint8_t* bytes, int64_t len) {
  auto r = std::make_unique<Reader>();
  const int64_t ok = guarded([&]() -> int64_t {
    auto copy = arrow::AllocateBuffer(len);
    if (!copy.ok()) {
      fail(copy.status());
      return -1;
    }
    std::shared_ptr<arrow::Buffer> buffer = std::move(*copy);
    if (len > 0) std::memcpy(buffer->mutable_data(), bytes, len);
    auto st = OpenReader(r.get(), std::make_shared<arrow::io::BufferReader>(buffer));
    if (!st.ok()) {
      fail(kInvalid, st.message());
      return -1;
    }
    return 0;
  });
  return ok == 0 ? r.release() : nullptr;
}

MQ_API int32_t mqr_row_groups(void* handle) { return static_cast<Reader*>(handle)->reader->num_row_groups(); }

MQ_API int64_t mqr_rows(void* handle) {
  return static_cast<Reader*>(handle)->reader->parquet_reader()->metadata()->num_rows();
}

// The stored schema as an IPC stream (schema message, end marker): answer part 0; returns 1.
MQ_API int64_t mqr_schema(void* handle) {
  auto* r = static_cast<Reader*>(handle);
  return guarded([&]() -> int64_t {
    r->out = Output{};
    auto st = AppendStream(r->schema, nullptr, &r->out);
    if (!st.ok()) {
      fail(st);
      return -1;
    }
    return static_cast<int64_t>(r->out.batches.size());
  });
}

// Whether int64 column `column` (top-level index) never decreases through the file: 1, 0, or -1.
MQ_API int64_t mqr_sorted(void* handle, int32_t column) {
  auto* r = static_cast<Reader*>(handle);
  return guarded([&]() -> int64_t {
    auto leaves = LeavesOf(r, &column, 1);
    if (!leaves.ok() || leaves->size() != 1) return 0;
    bool have = false;
    int64_t last = 0;
    for (int g = 0; g < r->reader->num_row_groups(); g++) {
      auto table = r->reader->ReadRowGroup(g, *leaves);
      if (!table.ok()) {
        fail(kInvalid, table.status().message());
        return -1;
      }
      for (const auto& chunk : (*table)->column(0)->chunks()) {
        if (chunk->type_id() != arrow::Type::INT64 || chunk->null_count() > 0) return 0;
        const auto& values = static_cast<const arrow::Int64Array&>(*chunk);
        const int64_t* v = values.raw_values();
        for (int64_t i = 0; i < values.length(); i++) {
          if (have && v[i] < last) return 0;
          last = v[i];
          have = true;
        }
      }
    }
    return 1;
  });
}

// Decodes row group `group` into IPC streams of one batch each, each about `batch_bytes` (from the row
// group's uncompressed size per row); returns the number of streams, each then given by
// mqr_part_length and mqr_take_part.
MQ_API int64_t mqr_read(void* handle, int32_t group, int64_t batch_bytes) {
  auto* r = static_cast<Reader*>(handle);
  return guarded([&]() -> int64_t {
    r->out = Output{};
    if (group < 0 || group >= r->reader->num_row_groups()) {
      fail(kInvalid, "no such row group");
      return -1;
    }
    auto st = ReadGroup(r, group, batch_bytes);
    if (!st.ok()) {
      fail(kInvalid, st.message());  // the file opened: what fails now is its content
      r->out = Output{};
      return -1;
    }
    return static_cast<int64_t>(r->out.batches.size());
  });
}

MQ_API int64_t mqr_part_length(void* handle, int32_t i) {
  auto* r = static_cast<Reader*>(handle);
  return i >= 0 && i < static_cast<int32_t>(r->out.sizes.size()) ? r->out.sizes[i] : -1;
}

// Writes answer part `i` into `dst`, exactly mqr_part_length(i) bytes, and releases it; 0, or -1.
MQ_API int64_t mqr_take_part(void* handle, int32_t i, uint8_t* dst) {
  auto* r = static_cast<Reader*>(handle);
  return guarded([&]() -> int64_t {
    if (i < 0 || i >= static_cast<int32_t>(r->out.sizes.size())) {
      fail(kInternal, "no such answer part");
      return -1;
    }
    auto target = std::make_shared<arrow::MutableBuffer>(dst, r->out.sizes[i]);
    auto sink = std::make_shared<arrow::io::FixedSizeBufferWriter>(target);
    auto st = WriteStream(r->out.schema, r->out.batches[i].get(), sink);
    r->out.batches[i].reset();
    if (!st.ok()) {
      fail(st);
      return -1;
    }
    if (*sink->Tell() != r->out.sizes[i]) {
      fail(kInternal, "IPC stream length changed between counting and writing");
      return -1;
    }
    return 0;
  });
}

MQ_API void mqr_free(void* handle) { delete static_cast<Reader*>(handle); }

}  // extern "C"
