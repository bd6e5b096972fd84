"""Reads topics written by `mosaicod import` with plain pyarrow.flight, as the Python SDK's reader does
(GetFlightInfo with the topic's locator, DoGet of its ticket), and compares each schema with the SDK
injector's layout for its ontology tag, written here independently from docs/toolkit.md "Import" (names,
order, types, nullability; every field at every depth carries a `description`). Prints one JSON object per
topic: tag, serialization format, user metadata, whether the schema matches (with the difference) and the
rows (bytes as base64, NaN/Infinity and integers beyond 2^53 as strings). tests/toolkit_import_test.ts asserts on them.

Usage: MOSAICOD_URL=grpc://… python3 ros_import_check.py LOCATOR...
"""
from __future__ import annotations

import base64
import json
import math
import os
import sys

import pyarrow as pa
import pyarrow.flight as flight

F64, F32, I16, I32, I64, U32, UTF8 = pa.float64(), pa.float32(), pa.int16(), pa.int32(), pa.int64(), pa.uint32(), pa.utf8()


def f(name, type_, nullable=True):
    return pa.field(name, type_, nullable)


C = [f("covariance", pa.list_(F64)), f("covariance_type", I16)]


def vec(n):
    return pa.struct(C + [f(a, F64) for a in "xyzw"[:n]])


V2, V3, V4 = vec(2), vec(3), vec(4)
ENVELOPE = [f("timestamp_ns", I64, False), f("recording_timestamp_ns", I64), f("frame_id", UTF8),
            f("sequence_id", U32)]
POSE = C + [f("position", V3, False), f("orientation", V4, False)]
MOTION = C + [f("linear", V3), f("angular", V3)]
TRANSFORM = C + [f("translation", V3, False), f("rotation", V4, False), f("target_frame_id", UTF8)]
SCAN = [f(n, F32, False) for n in
        ("angle_min", "angle_max", "angle_increment", "time_increment", "scan_time", "range_min", "range_max")]

LAYOUTS = {
    "string": [f("data", UTF8, False)],
    "boolean": [f("data", pa.bool_(), False)],
    **{f"integer{n}": [f("data", getattr(pa, f"int{n}")(), False)] for n in (8, 16, 32, 64)},
    **{f"unsigned{n}": [f("data", getattr(pa, f"uint{n}")(), False)] for n in (8, 16, 32, 64)},
    "floating32": [f("data", F32, False)],
    "floating64": [f("data", F64, False)],
    "vector_3_d": C + [f("x", F64), f("y", F64), f("z", F64)],
    "point_3_d": C + [f("x", F64), f("y", F64), f("z", F64)],
    "quaternion": C + [f("x", F64), f("y", F64), f("z", F64), f("w", F64)],
    "pose": POSE,
    "velocity": MOTION,
    "acceleration": MOTION,
    "transform": TRANSFORM,
    "force_torque": C + [f("force", V3, False), f("torque", V3, False)],
    "polygon": [f("points", pa.list_(V3), False)],
    "inertia": [f("mass", F64, False), f("center_of_mass", V3, False),
                f("inertia", pa.list_(F64, 6), False)],
    "motion_state": C + [f("pose", pa.struct(POSE), False), f("velocity", pa.struct(MOTION), False),
                         f("target_frame_id", UTF8, False), f("acceleration", pa.struct(MOTION))],
    "frame_transform": [f("transforms", pa.list_(pa.struct(TRANSFORM)), False)],
    "imu": [f("acceleration", V3, False), f("angular_velocity", V3, False), f("orientation", V4)],
    "magnetometer": [f("magnetic_field", V3, False)],
    "gps": [f("position", V3, False), f("velocity", V3),
            f("status", pa.struct([f("status", pa.int8(), False), f("service", pa.uint16(), False),
                                   f("satellites", pa.int8()), f("hdop", F64), f("vdop", F64)]))],
    "nmea_sentence": [f("sentence", UTF8, False)],
    "image": [f("data", pa.binary(), False), f("format", UTF8, False), f("width", I32, False),
              f("height", I32, False), f("stride", I32, False), f("encoding", UTF8, False),
              f("is_bigendian", pa.bool_())],
    "compressed_image": [f("data", pa.binary(), False), f("format", UTF8, False)],
    "camera_info": [f("height", U32, False), f("width", U32, False), f("distortion_model", UTF8, False),
                    f("distortion_parameters", pa.list_(F64), False),
                    f("intrinsic_parameters", pa.list_(F64, 9), False),
                    f("rectification_parameters", pa.list_(F64, 9), False),
                    f("projection_parameters", pa.list_(F64, 12), False), f("binning", V2),
                    f("roi", pa.struct([f("offset", V2, False), f("height", U32, False),
                                        f("width", U32, False), f("do_rectify", pa.bool_())]))],
    "battery_state": [f("voltage", F32, False)] + [f(n, F32) for n in
                      ("temperature", "current", "charge", "capacity", "design_capacity")] +
                     [f("percentage", F32, False)] + [f(n, pa.uint8(), False) for n in
                      ("power_supply_status", "power_supply_health", "power_supply_technology")] +
                     [f("present", pa.bool_(), False), f("location", UTF8, False),
                      f("serial_number", UTF8, False), f("cell_voltage", pa.list_(F32)),
                      f("cell_temperature", pa.list_(F32))],
    "robot_joint": [f("names", pa.list_(UTF8), False)] + [f(n, pa.list_(F64), False) for n in
                                                           ("positions", "velocities", "efforts")],
    "joy": [f("axes", pa.list_(F32), False), f("buttons", pa.list_(I32), False)],
    "laser_scan": SCAN + [f("ranges", pa.list_(F32), False), f("intensities", pa.list_(F32))],
    "multi_echolaser_scan": SCAN + [f("ranges", pa.list_(pa.list_(F32)), False),
                                    f("intensities", pa.list_(pa.list_(F32)))],
    "point_cloud2": [f("height", U32, False), f("width", U32, False),
                     f("fields", pa.list_(pa.struct([f("name", UTF8, False), f("offset", U32, False),
                                                     f("datatype", I64, False), f("count", U32, False)])),
                       False),
                     f("is_bigendian", pa.bool_(), False), f("point_step", U32, False),
                     f("row_step", U32, False), f("data", pa.binary(), False),
                     f("is_dense", pa.bool_(), False)],
}
IMAGE_FORMAT = {"image", "compressed_image"}


def undescribed(fields, path=""):
    """Fields (at any depth, list items aside) without a `description`."""
    out = []
    for fld in fields:
        name = f"{path}{fld.name}"
        if not (fld.metadata or {}).get(b"description"):
            out.append(name)
        t = fld.type
        while pa.types.is_list(t) or pa.types.is_fixed_size_list(t):
            t = t.value_type
        if pa.types.is_struct(t):
            out += undescribed(list(t), f"{name}.")
    return out


def plain(value):
    if isinstance(value, bytes):
        return base64.b64encode(value).decode("ascii")
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) > 2**53:
        return str(value)  # JSON.parse would round it
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value


def check(client, locator):
    command = json.dumps({"resource_locator": locator}).encode()
    info = client.get_flight_info(flight.FlightDescriptor.for_command(command))
    table = client.do_get(info.endpoints[0].ticket).read_all()
    meta = {}
    for k, v in (table.schema.metadata or {}).items():
        if k.startswith(b"mosaico:"):
            try:
                meta[k.decode()] = json.loads(v)
            except ValueError:
                meta[k.decode()] = v.decode()
    props = meta.get("mosaico:properties", {})
    tag = props.get("ontology_tag")
    problem = None
    if tag in LAYOUTS:
        want = pa.schema(ENVELOPE + LAYOUTS[tag])
        if not table.schema.remove_metadata().equals(want, check_metadata=False):
            problem = f"schema {table.schema.remove_metadata()} != {want}"
        elif (props.get("serialization_format") == "image") != (tag in IMAGE_FORMAT):
            problem = f"serialization_format {props.get('serialization_format')}"
        elif undescribed(table.schema):
            problem = f"no description: {undescribed(table.schema)}"
    elif table.schema.names[:4] != [e.name for e in ENVELOPE]:
        problem = f"generic topic without the envelope: {table.schema.names}"
    return {
        "locator": locator,
        "tag": tag,
        "format": props.get("serialization_format"),
        "user_metadata": meta.get("mosaico:user_metadata"),
        "known": tag in LAYOUTS,
        "problem": problem,
        "columns": table.schema.names,
        "rows": plain(table.to_pylist()),
    }


def main():
    client = flight.FlightClient(os.environ.get("MOSAICOD_URL", "grpc://127.0.0.1:6726"))
    print(json.dumps([check(client, loc) for loc in sys.argv[1:]]))


if __name__ == "__main__":
    main()
