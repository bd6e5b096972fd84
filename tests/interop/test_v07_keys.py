"""SDK 0.6/0.7 API keys (delta doc K1-K4): independent permissions read, write and delete, minted with the
daemon's CLI (`main.ts api-key create --permissions read,write`), sent in `mosaico-api-key-token`. Every
call needs its one permission (K3: reads incl. GetSchema and topic_filter_* need read; creates, DoPut,
finalize and notification_create need write; deletes and purges need delete; `info` any valid key).
Runs only against a daemon with API keys on, given tokens in the environment:
  MOSAICOD_API_KEY     every permission (fixtures)
  MOSAICOD_KEY_READ    read          MOSAICOD_KEY_WRITE   write
  MOSAICOD_KEY_DELETE  delete        MOSAICOD_KEY_RW      read,write"""
import os
import unittest

from _sdk07 import Mosaico07, Mosaico07TestCase, SequenceWriter07, cluster_params
from _sdk07_data import IMU07_SCHEMA, imu07_rows
from _sdk2026 import API_KEY, batch_of, unique, upload, upload_error

KEYS = {name: os.environ.get(f"MOSAICOD_KEY_{name.upper()}") or None for name in ("read", "write", "delete", "rw")}
PERMISSIONS = {"read": {"read"}, "write": {"write"}, "delete": {"delete"}, "rw": {"read", "write"}}
SKIP_REASON = ("API keys off: set MOSAICOD_API_KEY (every permission) and MOSAICOD_KEY_READ / _WRITE / _DELETE / "
               "_RW (made with `main.ts api-key create --permissions ...`) for a daemon with API keys on")


@unittest.skipUnless(API_KEY and all(KEYS.values()), SKIP_REASON)
class IndependentPermissions(Mosaico07TestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.clients = {name: Mosaico07(api_key=token) for name, token in KEYS.items()}  # `info`: any valid key
        for client in cls.clients.values():
            cls.addClassCleanup(client.close)

    def fixture(self):
        """With the all-permission key: a sequence, a finalized session with topic `t` (rows, a schema,
        notifications), and an open session."""
        name, s = self.open_session("perm07")
        tu = self.m.topic_create(f"{name}/t", s.uuid)
        upload(self.m.client, f"{name}/t", tu, IMU07_SCHEMA, [batch_of(imu07_rows(5), IMU07_SCHEMA)])
        self.m.session_finalize(s.uuid)
        self.m.notification_create("sequence", name, "n")
        self.m.notification_create("topic", f"{name}/t", "n")
        return name, s, self.m.session_open(name)

    def check(self, needs, fn):
        """fn(client) succeeds for every key holding `needs`, and is PERMISSION_DENIED for the others."""
        for key, perms in PERMISSIONS.items():
            with self.subTest(key=key, needs=needs):
                if needs in perms:
                    fn(self.clients[key])
                else:
                    self.assertStatus("PERMISSION_DENIED", fn, self.clients[key])

    def test_every_key_passes_the_probe(self):
        for key, client in self.clients.items():
            with self.subTest(key=key):
                self.assertEqual(client.info(), self.m.server_info)

    def test_reads_need_read(self):
        name, _, _ = self.fixture()
        self.check("read", lambda c: c.list_sequences())
        self.check("read", lambda c: c.sequence_info(name))
        self.check("read", lambda c: c.topic_info(name, "t"))
        self.check("read", lambda c: c.get_schema(name, "t"))
        self.check("read", lambda c: c.read(self.m.topic_info(name, "t").ticket))
        self.check("read", lambda c: c.query({"sequence": {"name": {"$eq": name}}}))
        self.check("read", lambda c: c.notification_list("sequence", name))
        self.check("read", lambda c: c.notification_list("topic", f"{name}/t"))
        self.check("read", lambda c: c.clusterize(f"{name}/t"))
        self.check("read", lambda c: c.intersect([cluster_params(f"{name}/t")] * 2))

    def test_writes_need_write(self):
        counter = iter(range(100))

        def create_upload_finalize(c):
            seq = unique("permw07")
            c.sequence_create(seq, {})
            s = c.session_open(seq)
            tu = c.topic_create(f"{seq}/t", s.uuid)
            upload(c.client, f"{seq}/t", tu, IMU07_SCHEMA, [batch_of(imu07_rows(2), IMU07_SCHEMA)])
            c.session_finalize(s.uuid)
            c.notification_create("sequence", seq, "n")
            c.notification_create("topic", f"{seq}/t", "n")

        self.check("write", create_upload_finalize)
        name, _, open_session = self.fixture()
        self.check("write", lambda c: c.session_open(name))
        self.check("write", lambda c: c.topic_create(f"{name}/w{next(counter)}", open_session.uuid))
        tu = self.m.topic_create(f"{name}/put", open_session.uuid)
        for key in ("read", "delete"):
            self.assertUploadStatus("PERMISSION_DENIED", upload_error(self.clients[key].client, f"{name}/put", tu,
                                                                      IMU07_SCHEMA, []))
        upload(self.clients["write"].client, f"{name}/put", tu, IMU07_SCHEMA, [])

    def test_deletes_need_delete(self):
        def seq_delete(c):
            c.sequence_delete(self.fixture()[0])

        def session_delete(c):
            c.session_delete(self.fixture()[1].locator)

        def topic_delete(c):
            c.topic_delete(f"{self.fixture()[0]}/t")

        def purges(c):
            name = self.fixture()[0]
            c.notification_purge("sequence", name)
            c.notification_purge("topic", f"{name}/t")

        for fn in (seq_delete, session_delete, topic_delete, purges):
            self.check("delete", fn)

    def test_a_write_only_key_writes_a_sequence_it_cannot_read_back(self):
        w = self.clients["write"]
        name = unique("wonly07")
        with SequenceWriter07(w, name, {"by": "write key"}) as writer:
            writer.topic_create("imu", IMU07_SCHEMA).push(imu07_rows(1)[0])
        self.assertStatus("PERMISSION_DENIED", w.sequence_info, name)
        self.assertStatus("PERMISSION_DENIED", w.get_schema, name, "imu")
        self.assertStatus("PERMISSION_DENIED", w.query, {"sequence": {"name": {"$eq": name}}})
        self.assertEqual(self.m.sequence_info(name).topics, ["/imu"])

    def test_read_write_cannot_delete_and_delete_only_cannot_read_or_write(self):
        name, s, _ = self.fixture()
        rw, d = self.clients["rw"], self.clients["delete"]
        self.assertStatus("PERMISSION_DENIED", rw.sequence_delete, name)
        self.assertStatus("PERMISSION_DENIED", rw.session_delete, s.locator)
        self.assertStatus("PERMISSION_DENIED", d.sequence_info, name)
        self.assertStatus("PERMISSION_DENIED", d.sequence_create, unique("donly07"), {})
        d.sequence_delete(name)
        self.assertNotIn(name, self.m.list_sequences())

    def test_permission_comes_before_existence(self):
        nosuch = unique("nosuch07")
        self.assertStatus("PERMISSION_DENIED", self.clients["write"].get_schema, nosuch, "t")
        self.assertStatus("PERMISSION_DENIED", self.clients["write"].clusterize, f"{nosuch}/t")
        self.assertStatus("PERMISSION_DENIED", self.clients["read"].session_delete, f"{nosuch}:01ARZ3NDEKTSV4RRFFQ69G5FAV")
        self.assertStatus("PERMISSION_DENIED", self.clients["delete"].topic_create, f"{nosuch}/t",
                          "00000000-0000-4000-8000-000000000000")


if __name__ == "__main__":
    unittest.main()
