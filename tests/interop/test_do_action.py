"""DoAction: every action of protocol section 4 with exactly the documented request and response shapes,
the status codes of refused requests, and the body rules of section 3.

(File names sort after test_connect.py on purpose: that module expects an empty catalog.)
"""
import json
import unittest

import pyarrow as pa

from _sdk import (
    IMU_SCHEMA, KEY_RE, MosaicoTestCase, action_results, batch_of, decode_metadata, imu_rows, unique,
    upload,
)


class ActionShapes(MosaicoTestCase):
    def test_sequence_create_returns_exactly_a_uuid4_key(self):
        name = unique()
        results = action_results(self.m.client, "sequence_create",
                                 json.dumps({"name": name, "user_metadata": {"a": 1}}).encode())
        self.assertEqual(len(results), 1)
        obj = json.loads(results[0])
        self.assertEqual(set(obj), {"action", "response"})
        self.assertEqual(obj["action"], "sequence_create")
        self.assertEqual(set(obj["response"]), {"key"})
        self.assertRegex(obj["response"]["key"], KEY_RE)

    def test_topic_create_returns_exactly_a_uuid4_key_distinct_from_the_sequence_key(self):
        seq, skey = self.new_sequence()
        tkey = self.m.topic_create(f"{seq}/imu", skey)
        self.assertRegex(tkey, KEY_RE)
        self.assertNotEqual(tkey, skey)
        self.assertNotEqual(self.m.topic_create(f"{seq}/imu2", skey), tkey)

    def test_every_action_round_trip(self):
        seq, skey = self.new_sequence(metadata={"mission": "every-action"})
        topic = f"{seq}/front/imu"
        tkey = self.m.topic_create(topic, skey, ontology_tag="imu", user_metadata={"sensor": "x"})
        spare = f"{seq}/spare"
        self.m.topic_create(spare, skey, ontology_tag="gps", serialization_format="ragged")
        self.m.topic_create(f"{seq}/img", skey, ontology_tag="image", serialization_format="image")
        self.m.topic_delete(f"{seq}/img")

        seq_info = self.m.sequence_system_info(seq)
        self.assertFalse(seq_info.is_locked)
        topic_info = self.m.topic_system_info(topic)
        self.assertEqual((topic_info.chunks_number, topic_info.is_locked), (0, False))

        self.m.notify_create("sequence", seq, "sequence went wrong")
        self.m.notify_create("topic", topic, "topic went wrong")
        [sn] = self.m.notify_list("sequence", seq)
        self.assertEqual((sn.name, sn.notify_type, sn.msg), (seq, "error", "sequence went wrong"))
        [tn] = self.m.notify_list("topic", topic)
        self.assertEqual((tn.name, tn.notify_type, tn.msg), (topic, "error", "topic went wrong"))
        self.m.notify_purge("sequence", seq)
        self.m.notify_purge("topic", topic)
        self.assertEqual(self.m.notify_list("sequence", seq), [])
        self.assertEqual(self.m.notify_list("topic", topic), [])

        upload(self.m.client, topic, tkey, IMU_SCHEMA, [batch_of(imu_rows(3), IMU_SCHEMA)])
        self.m.topic_delete(spare)
        self.m.sequence_finalize(seq, skey)
        self.assertTrue(self.m.sequence_system_info(seq).is_locked)

        seq2, skey2 = self.new_sequence()
        self.m.sequence_abort(seq2, skey2)
        seq3, _ = self.new_sequence()
        self.m.sequence_delete(seq3)
        self.assertNotIn(seq2, self.m.sequence_names())
        self.assertNotIn(seq3, self.m.sequence_names())
        self.assertIn(seq, self.m.sequence_names())

    def test_query_by_sequence_and_topic(self):
        seq, skey = self.new_sequence(metadata={"status": "raw", "run": {"id": 7}})
        self.m.topic_create(f"{seq}/front/imu", skey, ontology_tag="imu", user_metadata={"sensor_id": "front"})
        self.m.topic_create(f"{seq}/gps", skey, ontology_tag="gps")
        resp = self.m.action("query", {"sequence": {"name": {"$eq": seq}}, "topic": {"ontology_tag": {"$eq": "imu"}}})
        self.assertEqual(resp, {"items": [{"sequence": seq, "topics": [f"{seq}/front/imu"]}]})
        resp = self.m.action("query", {"sequence": {"name": {"$eq": seq},
                                                    "user_metadata": {"run.id": {"$geq": 7}}}})
        self.assertEqual(len(resp["items"]), 1)
        self.assertEqual(sorted(resp["items"][0]["topics"]), sorted([f"{seq}/front/imu", f"{seq}/gps"]))
        resp = self.m.action("query", {"topic": {"name": {"$in": ["/front/imu"]},
                                                 "user_metadata": {"sensor_id": {"$eq": "front"}}},
                                       "sequence": {"name": {"$match": seq}}})
        self.assertEqual(resp, {"items": [{"sequence": seq, "topics": [f"{seq}/front/imu"]}]})
        self.assertEqual(self.m.action("query", {}), {"items": []})
        self.assertEqual(self.m.action("query", {"sequence": {"name": {"$in": []}}}), {"items": []})

    def test_query_refusals(self):
        self.assertStatus("INVALID_ARGUMENT", self.m.action, "query", {"sequence": {"name": {"$lt": "x"}}})
        self.assertStatus("INVALID_ARGUMENT", self.m.action, "query", {"bogus": {}})
        self.assertStatus("INVALID_ARGUMENT", self.m.action, "query", {"ontology": {"imu.acceleration.x": {"$neq": 0}}})
        self.assertStatus("INVALID_ARGUMENT", self.m.action, "query", {"ontology": {"imu": {"$eq": 0}}})

    def test_query_by_data(self):
        seq, skey = self.new_sequence()
        rows = imu_rows(50)
        for i, row in enumerate(rows):  # finite, distinct values (imu_rows also makes NaN and infinities)
            row["acceleration"]["x"] = i * 0.25 - 3
        front = f"{seq}/front/imu"
        tkey = self.m.topic_create(front, skey, ontology_tag="imu")
        upload(self.m.client, front, tkey, IMU_SCHEMA, [batch_of(rows, IMU_SCHEMA)])
        self.m.topic_create(f"{seq}/empty", skey, ontology_tag="imu")  # no data: never matches
        only = {"sequence": {"name": {"$eq": seq}}}
        top = max(r["acceleration"]["x"] for r in rows)
        stamp = rows[7]["timestamp_ns"]
        self.assertEqual(self.m.action("query", {**only, "ontology": {"imu.acceleration.x": {"$geq": top}}}),
                         {"items": [{"sequence": seq, "topics": [front]}]})
        self.assertEqual(self.m.action("query", {**only, "ontology": {"imu.acceleration.x": {"$gt": top}}}),
                         {"items": []})
        # Two conditions on the same row: row 7's timestamp with row 7's x matches, with another row's not.
        same_row = {"imu.timestamp_ns": {"$eq": stamp}, "imu.acceleration.x": {"$eq": rows[7]["acceleration"]["x"]}}
        self.assertEqual(self.m.action("query", {**only, "ontology": same_row})["items"][0]["topics"], [front])
        other_row = {"imu.timestamp_ns": {"$eq": stamp}, "imu.acceleration.x": {"$eq": rows[8]["acceleration"]["x"]}}
        self.assertEqual(self.m.action("query", {**only, "ontology": other_row}), {"items": []})


class BodyRules(MosaicoTestCase):
    def raw(self, name, body: bytes):
        return action_results(self.m.client, name, body)

    def test_unknown_action_is_invalid_argument(self):
        self.assertStatus("INVALID_ARGUMENT", self.raw, "sequence_explode", b"{}")
        self.assertStatus("INVALID_ARGUMENT", self.raw, "", b"{}")

    def test_malformed_bodies_are_invalid_argument(self):
        name = unique()
        for body in (b"", b"not json", b"{", b"[]", b"null", b"\"name\"", b"\xff\xfe{}",
                     json.dumps({"name": name}).encode(),                      # user_metadata missing
                     json.dumps({"user_metadata": {}}).encode(),               # name missing
                     json.dumps({"name": 5, "user_metadata": {}}).encode(),    # wrong type
                     json.dumps({"name": None, "user_metadata": {}}).encode()):
            with self.subTest(body=body):
                self.assertStatus("INVALID_ARGUMENT", self.raw, "sequence_create", body)
        self.assertNotIn(name, self.m.sequence_names())

    def test_layer_list_needs_an_object_body_too(self):
        self.assertStatus("INVALID_ARGUMENT", self.raw, "layer_list", b"")
        self.m.layer_list()

    def test_extra_fields_are_ignored(self):
        name = unique()
        key = self.m.action("sequence_create", {"name": name, "user_metadata": {}, "extra": [1, 2]})["key"]
        self.m.action("sequence_finalize", {"name": name, "key": key, "comment": "ignored"})
        self.assertTrue(self.m.sequence_system_info(name).is_locked)

    def test_unicode_escapes_in_bodies_are_decoded(self):
        name = unique("séq_😀")
        # json.dumps escapes non-ASCII as \\uXXXX (surrogate pairs for astral characters)
        self.assertIn(b"\\ud83d\\ude00", json.dumps({"name": name}).encode())
        key = self.m.sequence_create(name, {"ключ": "值 😀"})
        self.assertIn(name, self.m.sequence_names())
        info = self.m.flight_info(name)
        self.assertEqual(info.descriptor.path, [name.encode("utf-8")])
        self.m.sequence_abort(name, key)

    def test_topic_create_body_checks(self):
        seq, skey = self.new_sequence()
        base = {"sequence_key": skey, "name": f"{seq}/t", "serialization_format": "default",
                "ontology_tag": "imu", "user_metadata": {}}
        for change in ({"serialization_format": "parquet"}, {"serialization_format": None},
                       {"ontology_tag": 5}, {"user_metadata": None}, {"sequence_key": None}):
            with self.subTest(change=change):
                self.assertStatus("INVALID_ARGUMENT", self.m.action, "topic_create", {**base, **change})
        for missing in base:
            with self.subTest(missing=missing):
                body = {k: v for k, v in base.items() if k != missing}
                self.assertStatus("INVALID_ARGUMENT", self.m.action, "topic_create", body)
        self.assertEqual(self.m.flight_info(seq).endpoints, [])
        for fmt in ("default", "ragged", "image"):
            self.m.topic_create(f"{seq}/{fmt}", skey, serialization_format=fmt)


class NotFoundAndConflicts(MosaicoTestCase):
    def test_unknown_resources_are_not_found(self):
        ghost = unique("ghost")
        key = "0b2c7d4e-8f10-4a2b-9c3d-4e5f6a7b8c9d"
        self.assertStatus("NOT_FOUND", self.m.sequence_finalize, ghost, key)
        self.assertStatus("NOT_FOUND", self.m.sequence_abort, ghost, key)
        self.assertStatus("NOT_FOUND", self.m.sequence_delete, ghost)
        self.assertStatus("NOT_FOUND", self.m.sequence_system_info, ghost)
        self.assertStatus("NOT_FOUND", self.m.topic_system_info, f"{ghost}/t")
        self.assertStatus("NOT_FOUND", self.m.topic_delete, f"{ghost}/t")
        self.assertStatus("NOT_FOUND", self.m.notify_create, "sequence", ghost, "m")
        self.assertStatus("NOT_FOUND", self.m.notify_create, "topic", f"{ghost}/t", "m")
        seq, _ = self.new_sequence()
        self.assertStatus("NOT_FOUND", self.m.topic_system_info, f"{seq}/missing")
        self.assertStatus("NOT_FOUND", self.m.topic_delete, f"{seq}/missing")

    def test_sequence_create_twice_is_already_exists(self):
        seq, key = self.new_sequence(metadata={"v": 1})
        err = self.assertStatus("ALREADY_EXISTS", self.m.sequence_create, seq, {"v": 2})
        self.assertIs(type(err), pa.ArrowException)
        self.assertStatus("ALREADY_EXISTS", self.m.sequence_create, "/" + seq, {"v": 2})
        # the first sequence is untouched: same key works, metadata unchanged
        self.assertEqual(decode_metadata(self.m.flight_info(seq).schema)["mosaico:user_metadata"], {"v": 1})
        self.m.sequence_finalize(seq, key)
        self.assertStatus("ALREADY_EXISTS", self.m.sequence_create, seq, {})

    def test_topic_create_twice_is_already_exists(self):
        seq, skey = self.new_sequence()
        self.m.topic_create(f"{seq}/t", skey)
        self.assertStatus("ALREADY_EXISTS", self.m.topic_create, f"{seq}/t", skey)
        self.assertStatus("ALREADY_EXISTS", self.m.topic_create, f"/{seq}/t", skey)
        self.assertEqual(len(self.m.flight_info(seq).endpoints), 1)


class Notifications(MosaicoTestCase):
    def test_notify_type_must_be_error(self):
        seq, _ = self.new_sequence()
        for kind in ("warning", "ERROR", ""):
            with self.subTest(kind=kind):
                self.assertStatus("INVALID_ARGUMENT", self.m.notify_create, "sequence", seq, "m", kind)
        self.assertEqual(self.m.notify_list("sequence", seq), [])

    def test_list_and_purge_of_unknown_resources_are_empty(self):
        ghost = unique("ghost")
        self.assertEqual(self.m.notify_list("sequence", ghost), [])
        self.assertEqual(self.m.notify_list("topic", f"{ghost}/t"), [])
        self.m.notify_purge("sequence", ghost)
        self.m.notify_purge("topic", f"{ghost}/t")

    def test_notifications_keep_their_message_and_resource(self):
        seq, skey = self.new_sequence()
        self.m.topic_create(f"{seq}/a", skey)
        msgs = ["first", "", "multi\nline ünïcödé 😀 \"quoted\""]
        for msg in msgs:
            self.m.notify_create("sequence", seq, msg)
        self.m.notify_create("topic", f"/{seq}/a", "topic one")
        items = self.m.notify_list("sequence", seq)
        self.assertEqual(sorted(i.msg for i in items), sorted(msgs))
        for item in items:
            self.assertEqual((item.name, item.notify_type), (seq, "error"))
            self.assertDatetime(item.created_datetime)
        [t] = self.m.notify_list("topic", f"{seq}/a")
        self.assertEqual((t.name, t.msg), (f"{seq}/a", "topic one"))
        # purging the sequence's notifications leaves the topic's
        self.m.notify_purge("sequence", seq)
        self.assertEqual(self.m.notify_list("sequence", seq), [])
        self.assertEqual(len(self.m.notify_list("topic", f"{seq}/a")), 1)


class Layers(MosaicoTestCase):
    def test_default_layer_exists(self):
        layers = {layer.name: layer.description for layer in self.m.layer_list()}
        self.assertEqual(layers.get("default"),
                         "Default layer, this layer is automatically generated by mosaico at startup")

    def test_layer_create_update_delete(self):
        name = unique("layer")
        renamed = unique("layer")
        self.m.layer_create(f"  {name} ", "first description ✓")
        self.assertIn((name, "first description ✓"), [(la.name, la.description) for la in self.m.layer_list()])
        err = self.assertStatus("ALREADY_EXISTS", self.m.layer_create, name, "again")
        self.assertIs(type(err), pa.ArrowException)
        self.m.layer_update(name, renamed, "second")
        listed = [(la.name, la.description) for la in self.m.layer_list()]
        self.assertIn((renamed, "second"), listed)
        self.assertNotIn(name, [n for n, _ in listed])
        self.assertStatus("NOT_FOUND", self.m.layer_update, name, unique("layer"), "x")
        self.assertStatus("ALREADY_EXISTS", self.m.layer_update, renamed, "default", "x")
        self.m.layer_delete(renamed)
        self.assertStatus("NOT_FOUND", self.m.layer_delete, renamed)
        self.assertNotIn(renamed, [la.name for la in self.m.layer_list()])

    def test_layer_names_are_validated(self):
        for bad in ("", "   ", "a/b", "..", "x\x00y", "a\\b"):
            with self.subTest(name=bad):
                self.assertStatus("INVALID_ARGUMENT", self.m.layer_create, bad, "d")


if __name__ == "__main__":
    unittest.main()
