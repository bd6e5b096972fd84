/**
 * Flow control of the native transport's send side as gRPC clients drive it (issue #16), from a raw
 * connection (tests/_h2_peer.ts) reading a DoGet: DATA never passes the stream or connection window nor
 * the peer's SETTINGS_MAX_FRAME_SIZE; a SETTINGS_INITIAL_WINDOW_SIZE raised mid-call (what gRPC's BDP
 * probe does) is used only after the SETTINGS ACK is on the wire, since gRPC C++ rejects DATA past the
 * old window before it sees the ACK ("frame of size … overflows local window", seen from pyarrow in the
 * transport bench); a window lowered mid-call below what was already sent (RFC 9113 section 6.9.2) stops
 * the call until WINDOW_UPDATEs bring it back above zero; then the call completes with status 0.
 */
import assert from "node:assert/strict";
import { encodeBytesMessage } from "../src/flight/messages.ts";
import { pythonClient } from "./_commands.ts";
import { type Daemon, startDaemon } from "./_daemon.ts";
import {
  dataFrame,
  FLAG,
  FRAME,
  grpcMessage,
  grpcRequestBlock,
  headersFrame,
  SETTING,
  settingsFrame,
  windowUpdateFrame,
} from "./_h2_frames.ts";
import { type Frame, H2Peer } from "./_h2_peer.ts";
import { lastField } from "./_h2_expect.ts";

const MiB = 1024 * 1024;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const received = (peer: H2Peer) => peer.dataBytes.get(1) ?? 0;
const isAck = (f: Frame) => f.type === FRAME.SETTINGS && (f.flags & FLAG.ACK) !== 0;

/** Opens a DoGet of keep/imu on stream 1, with a wide connection window so that the stream's decides. */
async function openDoGet(peer: H2Peer): Promise<void> {
  const ticket = grpcMessage(encodeBytesMessage(new TextEncoder().encode("keep/imu")));
  await peer.write(
    windowUpdateFrame(0, 64 * MiB),
    headersFrame(1, grpcRequestBlock("DoGet")),
    dataFrame(1, ticket, true),
  );
}

/** Waits until stream 1 has received `bytes` and nothing more comes for a while. */
async function stalledAt(peer: H2Peer, bytes: number): Promise<void> {
  await peer.until(() => received(peer) >= bytes, 5000, `${bytes} bytes of DATA`);
  await sleep(300);
  assert.equal(received(peer), bytes, "no DATA past the window");
}

/** Opens the window wide; the call ends with grpc-status 0 and every DATA frame fit `maxFrame`. */
async function finish(peer: H2Peer, maxFrame: number): Promise<void> {
  await peer.write(windowUpdateFrame(1, 64 * MiB));
  await peer.waitFrame((f) =>
    f.streamId === 1 && f.type === FRAME.HEADERS && (f.flags & FLAG.END_STREAM) !== 0
  );
  assert.equal(lastField(peer, 1, "grpc-status"), "0", peer.describe());
  const largest = Math.max(...peer.frames.filter((f) => f.type === FRAME.DATA).map((f) => f.length));
  assert.ok(largest <= maxFrame, `a DATA frame of ${largest} bytes, the peer allows ${maxFrame}`);
}

Deno.test("transport flow control: windows, frame sizes and SETTINGS changes mid-call", async (t) => {
  await using daemon: Daemon = await startDaemon({ args: ["--transport", "native"] });
  assert.equal(daemon.logs.find((l) => l.msg === "listening")?.transport, "native");
  await pythonClient("crash_ops.py", daemon.url, "keep"); // keep/imu: about 3.5 MB to read

  await t.step("the default window and frame size: 65,535 bytes, frames of 16 KiB at most", async () => {
    await using peer = await H2Peer.connect(daemon.port);
    await openDoGet(peer);
    await stalledAt(peer, 65_535);
    await finish(peer, 16_384);
  });

  await t.step("a window raised by SETTINGS is used only after the SETTINGS ACK", async () => {
    await using peer = await H2Peer.connect(daemon.port);
    await openDoGet(peer);
    await stalledAt(peer, 65_535);
    const mark = peer.frames.length;
    await peer.write(settingsFrame([[SETTING.INITIAL_WINDOW_SIZE, MiB]]));
    await stalledAt(peer, MiB);
    const after = peer.frames.slice(mark);
    const ack = after.findIndex(isAck);
    const data = after.findIndex((f) => f.type === FRAME.DATA);
    assert.ok(ack >= 0 && ack < data, `the ACK (frame ${ack}) before the DATA it allows (frame ${data})`);
    await finish(peer, 16_384);
  });

  await t.step(
    "a window lowered below what was sent stops the call until it is back above zero",
    async () => {
      await using peer = await H2Peer.connect(daemon.port, {
        settings: [[SETTING.INITIAL_WINDOW_SIZE, MiB], [SETTING.MAX_FRAME_SIZE, 4 * MiB]],
      });
      await openDoGet(peer);
      await stalledAt(peer, MiB);
      // Window: 1 MiB - 1 MiB sent = 0; lowered by 1 MiB - 65,535 = -983,041; the update brings it to 1,000.
      const mark = peer.frames.length;
      await peer.write(settingsFrame([[SETTING.INITIAL_WINDOW_SIZE, 65_535]]));
      await peer.until(() => peer.frames.slice(mark).some(isAck), 5000, "the SETTINGS ACK");
      await peer.write(windowUpdateFrame(1, MiB - 65_535 + 1_000));
      await stalledAt(peer, MiB + 1_000);
      await finish(peer, 4 * MiB);
    },
  );
});
