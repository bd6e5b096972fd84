"""Topics whose upload carried a schema and no batch (protocol 5.3, 7.3, checklist 7): normal for the SDK
(a topic created but never pushed to, or a failed block)."""
import unittest

from _sdk import IMU_SCHEMA, SCALARS_SCHEMA, MosaicoTestCase, batch_of, imu_rows, read_stream, upload


class SchemaOnlyTopics(MosaicoTestCase):
    def test_schema_only_upload_locks_the_topic_without_data(self):
        seq, skey = self.new_sequence()
        topic = f"{seq}/empty"
        tkey = self.m.topic_create(topic, skey, ontology_tag="gps", user_metadata={"why": "never pushed"})
        upload(self.m.client, topic, tkey, SCALARS_SCHEMA, [])
        info = self.m.topic_system_info(topic)
        self.assertEqual((info.is_locked, info.chunks_number, info.total_size_bytes), (True, 0, 0))
        # the SDK's topic_handler() must return None for it: GetFlightInfo fails
        self.assertStatus("NOT_FOUND", self.m.flight_info, topic)
        # ...but the sequence still lists it
        self.assertEqual([e.ticket.ticket for e in self.m.flight_info(seq).endpoints], [topic.encode()])
        self.assertStatus("FAILED_PRECONDITION", self.m.topic_delete, topic)
        self.m.sequence_finalize(seq, skey)
        self.assertEqual([e.ticket.ticket for e in self.m.flight_info(seq).endpoints], [topic.encode()])

    def test_doget_of_a_schema_only_topic_is_the_schema_and_no_rows(self):
        seq, skey = self.new_sequence()
        topic = f"{seq}/empty"
        tkey = self.m.topic_create(topic, skey, ontology_tag="imu", serialization_format="ragged",
                                   user_metadata={"k": [1, 2]})
        upload(self.m.client, topic, tkey, IMU_SCHEMA, [])
        stream = read_stream(self.m.client, topic.encode())
        self.assertTopicSchema(stream.schema, IMU_SCHEMA, user_metadata={"k": [1, 2]}, ontology_tag="imu",
                               serialization_format="ragged")
        self.assertEqual(sum(b.num_rows for b in stream.batches), 0)

    def test_sequence_with_an_empty_and_a_full_topic_streams_as_a_whole(self):
        # the SDK's sequence streamer opens a DoGet per endpoint; one failing fails the whole stream
        seq, skey = self.new_sequence()
        full_key = self.m.topic_create(f"{seq}/full", skey)
        empty_key = self.m.topic_create(f"{seq}/empty", skey)
        rows = imu_rows(7)
        upload(self.m.client, f"{seq}/full", full_key, IMU_SCHEMA, [batch_of(rows, IMU_SCHEMA)])
        upload(self.m.client, f"{seq}/empty", empty_key, IMU_SCHEMA, [])
        self.m.sequence_finalize(seq, skey)
        total = 0
        for endpoint in self.m.flight_info(seq).endpoints:
            stream = read_stream(self.m.client, endpoint.ticket.ticket)
            self.assertEqual(stream.metadata["mosaico:context"], "topic")
            total += stream.table.num_rows
        self.assertEqual(total, 7)
        self.m.flight_info(f"{seq}/full")
        self.assertStatus("NOT_FOUND", self.m.flight_info, f"{seq}/empty")


if __name__ == "__main__":
    unittest.main()
