"""2026 protocol, section 5: the writer and updater flows as the SDK runs them, sessions (sequences are never
locked), both error policies (5.3 topic level, 5.4 session level), and names re-used many times."""
import unittest

from _sdk2026 import (
    GPS2026_SCHEMA, IMU2026_SCHEMA, Mosaico2026TestCase, SequenceUpdater, SequenceWriter, batch_of,
    grpc_code, gps2026_rows, imu2026_rows, unique,
)

INNER = "__exception_in_test__"


class Boom(Exception):
    pass


class WriterFlow(Mosaico2026TestCase):
    def test_sequence_writer_uploads_closes_in_order_and_finalizes(self):
        name = unique("writer")
        imu, gps = imu2026_rows(120, seed=1), gps2026_rows(50, seed=2)
        with SequenceWriter(self.m, name, {"mission": "w"}) as w:
            tw_imu = w.topic_create("front/imu", IMU2026_SCHEMA, ontology_tag="imu", user_metadata={"hz": 100})
            tw_gps = w.topic_create("/gps/", GPS2026_SCHEMA, ontology_tag="gps")
            for row in imu:
                tw_imu.push(row)
            for row in gps:
                tw_gps.push(row)
        view = self.m.sequence_info(name)
        [s] = view.sessions
        self.assertEqual(s.uuid, w.session_uuid)
        self.assertTrue(s.locked)
        self.assertEqual(sorted(s.topics), [f"{name}/front/imu", f"{name}/gps"])
        self.assertEqual(view.topics, ["/front/imu", "/gps"])
        self.assertEqual(view.user_metadata, {"mission": "w"})
        for e in view.endpoints:
            self.assertTrue(e.manifest.locked)
            self.assertLessEqual(e.manifest.completed_at_ns, s.completed_at_ns)
        self.assertRows(self.m.read_topic(name, "front/imu"), imu)
        self.assertRows(self.m.read_topic(name, "gps"), gps)

    def test_a_topic_is_locked_as_soon_as_its_stream_completed(self):
        name = unique("lockstep")
        with SequenceWriter(self.m, name) as w:
            tw = w.topic_create("a", IMU2026_SCHEMA)
            tw.write_batch(batch_of(imu2026_rows(5), IMU2026_SCHEMA))
            self.assertFalse(self.m.topic_info(name, "a").manifest.locked)
            tw.close()
            # the SDK finalizes right after the last close(): the lock must be visible already
            m = self.m.topic_info(name, "a").manifest
            self.assertTrue(m.locked)
            self.assertGreater(m.chunks_number, 0)
            self.assertFalse(self.m.sequence_info(name).session(w.session_uuid).locked)
        self.assertTrue(self.m.sequence_info(name).session(w.session_uuid).locked)


class Updater(Mosaico2026TestCase):
    def test_an_update_adds_a_session_whose_topics_show_at_once_and_go_with_it(self):
        name = unique("upd")
        with SequenceWriter(self.m, name) as w:
            w.topic_create("first", IMU2026_SCHEMA).push(imu2026_rows(1)[0])
        with SequenceUpdater(self.m, name) as u:
            tw = u.topic_create("second", IMU2026_SCHEMA)
            view = self.m.sequence_info(name)
            self.assertEqual(view.topics, ["/first", "/second"])
            self.assertFalse(view.session(u.session_uuid).locked)
            self.assertTrue(view.session(w.session_uuid).locked)
            self.assertFalse(view.endpoint(f"{name}/second").manifest.locked)
            tw.push(imu2026_rows(1, seed=4)[0])
        view = self.m.sequence_info(name)
        self.assertEqual(len(view.sessions), 2)
        self.assertTrue(all(s.locked for s in view.sessions))
        self.assertEqual(sorted(view.updated_timestamps), sorted(s.created_at_ns for s in view.sessions))
        self.m.session_delete(u.session_uuid)
        view = self.m.sequence_info(name)
        self.assertEqual(([s.uuid for s in view.sessions], view.topics), ([w.session_uuid], ["/first"]))
        self.assertStatus("NOT_FOUND", self.m.topic_info, name, "second")

    def test_several_sessions_may_be_open_at_once(self):
        name = self.new_sequence("many")
        sessions = [self.m.session_create(name) for _ in range(4)]
        for i, s in enumerate(sessions):
            self.put_topic(name, s, f"t{i}", IMU2026_SCHEMA, imu2026_rows(1, seed=i))
        for s in reversed(sessions):
            self.m.session_finalize(s)
        view = self.m.sequence_info(name)
        self.assertEqual({s.uuid: s.topics for s in view.sessions},
                         {s: [f"{name}/t{i}"] for i, s in enumerate(sessions)})


class Reuse(Mosaico2026TestCase):
    def test_the_same_name_created_deleted_and_created_again_many_times(self):
        name = unique("again")
        old_sessions = []
        for i in range(8):
            rows = imu2026_rows(3, seed=100 + i)
            with SequenceWriter(self.m, name, {"round": i}) as w:
                tw = w.topic_create("t", IMU2026_SCHEMA)
                for r in rows:
                    tw.push(r)
            view = self.m.sequence_info(name)
            self.assertEqual(view.user_metadata, {"round": i})
            self.assertEqual([s.uuid for s in view.sessions], [w.session_uuid])
            self.assertRows(self.m.read_topic(name, "t"), rows)
            self.assertEqual(self.m.list_sequences().count(name), 1)
            for old in old_sessions:
                self.assertStatus("NOT_FOUND", self.m.topic_create, f"{name}/late", old)
            old_sessions.append(w.session_uuid)
            if i % 2:
                self.m.sequence_delete(name)
            else:
                self.m.session_delete(w.session_uuid)
                self.m.sequence_delete(name)
            self.assertNotIn(name, self.m.list_sequences())
            self.assertStatus("NOT_FOUND", self.m.sequence_info, name)


class SessionErrorPolicy(Mosaico2026TestCase):
    def test_report_notifies_finalizes_and_re_raises(self):
        name = unique("report")
        rows = imu2026_rows(4)
        with self.assertRaises(Boom):
            with SequenceWriter(self.m, name, on_error="report") as w:
                tw = w.topic_create("data", IMU2026_SCHEMA)
                tw.write_batch(batch_of(rows, IMU2026_SCHEMA))
                w.topic_create("never", IMU2026_SCHEMA)
                raise Boom(INNER)
        view = self.m.sequence_info(name)
        [s] = view.sessions
        self.assertTrue(s.locked)
        self.assertEqual(view.topics, ["/data", "/never"])
        [n] = self.m.notification_list("sequence", name)
        self.assertIn(f"Inner err: '{INNER}'", n.msg)
        self.assertIn(w.session_uuid, n.msg)
        for rel in ("data", "never"):
            [tn] = self.m.notification_list("topic", f"{name}/{rel}")
            self.assertEqual((tn.name, tn.msg), (f"{name}/{rel}", INNER))
        # the topic that never received data is locked and readable as "no data" (5.5)
        never = self.m.topic_info(name, "never")
        self.assertTrue(never.manifest.locked)
        self.assertEqual((never.manifest.chunks_number, never.manifest.total_bytes, never.manifest.timestamp),
                         (0, 0, None))
        self.assertRows(self.m.read_topic(name, "data"), rows)

    def test_report_on_an_empty_session_leaves_it_open_and_re_raises_the_original_error(self):
        name = unique("report_empty")
        with self.assertRaises(Boom):
            with SequenceWriter(self.m, name, on_error="report") as w:
                raise Boom(INNER)
        self.assertIsNotNone(w.last_error)
        self.assertEqual(grpc_code(w.last_error), "FAILED_PRECONDITION")
        [s] = self.m.sequence_info(name).sessions
        self.assertFalse(s.locked)
        [n] = self.m.notification_list("sequence", name)
        self.assertIn(f"Inner err: '{INNER}'", n.msg)

    def test_delete_removes_the_session_and_the_new_sequence(self):
        name = unique("delete")
        with self.assertRaises(Boom):
            with SequenceWriter(self.m, name, on_error="delete") as w:
                w.topic_create("a", IMU2026_SCHEMA).write_batch(batch_of(imu2026_rows(2), IMU2026_SCHEMA))
                raise Boom(INNER)
        self.assertIsNone(w.last_error)
        self.assertNotIn(name, self.m.list_sequences())
        self.assertStatus("NOT_FOUND", self.m.session_finalize, w.session_uuid)

    def test_updater_delete_removes_only_its_session(self):
        name = unique("upd_delete")
        with SequenceWriter(self.m, name) as w:
            w.topic_create("kept", IMU2026_SCHEMA).push(imu2026_rows(1)[0])
        with self.assertRaises(Boom):
            with SequenceUpdater(self.m, name, on_error="delete") as u:
                u.topic_create("dropped", IMU2026_SCHEMA)
                raise Boom(INNER)
        view = self.m.sequence_info(name)
        self.assertEqual(([s.uuid for s in view.sessions], view.topics), ([w.session_uuid], ["/kept"]))

    def test_updater_report_locks_its_session(self):
        name = unique("upd_report")
        with SequenceWriter(self.m, name) as w:
            w.topic_create("kept", IMU2026_SCHEMA).push(imu2026_rows(1)[0])
        with self.assertRaises(Boom):
            with SequenceUpdater(self.m, name) as u:
                u.topic_create("added", IMU2026_SCHEMA)
                raise Boom(INNER)
        view = self.m.sequence_info(name)
        self.assertTrue(view.session(u.session_uuid).locked)
        self.assertEqual(view.topics, ["/added", "/kept"])


class TopicErrorPolicy(Mosaico2026TestCase):
    def test_finalize_notifies_and_locks_the_topic_without_the_unflushed_records(self):
        name = unique("t_finalize")
        sent = imu2026_rows(3, seed=1)
        with SequenceWriter(self.m, name) as w:
            tw = w.topic_create("a", IMU2026_SCHEMA, on_error="finalize")
            with tw:
                tw.write_batch(batch_of(sent, IMU2026_SCHEMA))
                tw.push(imu2026_rows(1, seed=2, t0=1)[0])  # buffered, never flushed
                raise Boom(INNER)
            self.assertFalse(tw.open)
            self.assertTrue(self.m.topic_info(name, "a").manifest.locked)
            with self.assertRaises(RuntimeError):
                tw.push(sent[0])
            w.topic_create("b", IMU2026_SCHEMA)
        [n] = self.m.notification_list("topic", f"{name}/a")
        self.assertEqual(n.msg, INNER)
        self.assertRows(self.m.read_topic(name, "a"), sent)
        self.assertTrue(self.m.sequence_info(name).sessions[0].locked)

    def test_ignore_notifies_and_keeps_the_stream_open(self):
        name = unique("t_ignore")
        rows = imu2026_rows(4, seed=3)
        with SequenceWriter(self.m, name) as w:
            tw = w.topic_create("a", IMU2026_SCHEMA, on_error="ignore")
            with tw:
                tw.push(rows[0])
                raise Boom(INNER)
            for r in rows[1:]:
                tw.push(r)
            self.assertFalse(self.m.topic_info(name, "a").manifest.locked)
        [n] = self.m.notification_list("topic", f"{name}/a")
        self.assertEqual(n.msg, INNER)
        self.assertRows(self.m.read_topic(name, "a"), rows)

    def test_raise_goes_to_the_session_policy(self):
        name = unique("t_raise")
        with self.assertRaises(Boom):
            with SequenceWriter(self.m, name) as w:
                tw = w.topic_create("a", IMU2026_SCHEMA)
                with tw:
                    raise Boom(INNER)
        self.assertTrue(self.m.sequence_info(name).sessions[0].locked)
        self.assertEqual([n.msg for n in self.m.notification_list("topic", f"{name}/a")], [INNER])
        self.assertEqual(len(self.m.notification_list("sequence", name)), 1)


if __name__ == "__main__":
    unittest.main()
