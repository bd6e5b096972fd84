/**
 * The initial catalog schema: sequences, topics, chunks with per-column statistics, notifications
 * and layers. Kept as a TypeScript string so a compiled binary carries it without reading the source tree.
 *
 * @module
 */

export const name = "init";

export const sql = `
CREATE TABLE sequences (
  id bigserial PRIMARY KEY,
  uuid uuid NOT NULL UNIQUE,
  name text NOT NULL UNIQUE,
  locked boolean NOT NULL DEFAULT false,
  user_metadata jsonb,
  created_ms bigint NOT NULL
);

CREATE TABLE topics (
  id bigserial PRIMARY KEY,
  uuid uuid NOT NULL UNIQUE,
  sequence_id bigint NOT NULL REFERENCES sequences (id) ON DELETE CASCADE,
  name text NOT NULL UNIQUE,
  locked boolean NOT NULL DEFAULT false,
  user_metadata jsonb,
  serialization_format text NOT NULL CHECK (serialization_format IN ('default', 'ragged', 'image')),
  ontology_tag text NOT NULL,
  created_ms bigint NOT NULL,
  schema_key text
);
CREATE INDEX topics_sequence_id_idx ON topics (sequence_id);

-- Chunks are immutable once committed; rebuilding the catalog from the store relies on this.
CREATE TABLE chunks (
  id bigserial PRIMARY KEY,
  uuid uuid NOT NULL UNIQUE,
  topic_id bigint NOT NULL REFERENCES topics (id) ON DELETE CASCADE,
  chunk_index integer NOT NULL CHECK (chunk_index >= 0),
  key text NOT NULL,
  size_bytes bigint NOT NULL CHECK (size_bytes >= 0),
  row_count bigint NOT NULL CHECK (row_count >= 0),
  start_ns bigint NOT NULL,
  end_ns bigint NOT NULL,
  UNIQUE (topic_id, chunk_index)
);
CREATE INDEX chunks_topic_id_start_ns_idx ON chunks (topic_id, start_ns);

CREATE TABLE chunk_stats (
  chunk_id bigint NOT NULL REFERENCES chunks (id) ON DELETE CASCADE,
  column_name text NOT NULL,
  -- Order of the column in the chunk's schema, so stats read back in the order they were written.
  position integer NOT NULL,
  kind text NOT NULL CHECK (kind IN ('numeric', 'text')),
  min_num double precision,
  max_num double precision,
  min_text text,
  max_text text,
  has_null boolean NOT NULL,
  has_nan boolean NOT NULL DEFAULT false,
  PRIMARY KEY (chunk_id, column_name)
);
CREATE INDEX chunk_stats_column_name_idx ON chunk_stats (column_name);

-- Exactly one of sequence_id and topic_id is set.
CREATE TABLE notifications (
  id bigserial PRIMARY KEY,
  sequence_id bigint REFERENCES sequences (id) ON DELETE CASCADE,
  topic_id bigint REFERENCES topics (id) ON DELETE CASCADE,
  notify_type text NOT NULL CHECK (notify_type IN ('error')),
  msg text NOT NULL DEFAULT '',
  created_ms bigint NOT NULL,
  CHECK (num_nonnulls(sequence_id, topic_id) = 1)
);
CREATE INDEX notifications_sequence_id_idx ON notifications (sequence_id);
CREATE INDEX notifications_topic_id_idx ON notifications (topic_id);

CREATE TABLE layers (
  id bigserial PRIMARY KEY,
  name text NOT NULL UNIQUE,
  description text NOT NULL DEFAULT ''
);
`;
