/**
 * `sensor_msgs` camera types → the SDK's `image` (raw buffer as a greyscale PNG `step` bytes wide),
 * `compressed_image` and `camera_info` topics. Divergences from the SDK injector, which fails on these
 * messages: a CompressedImage `format` outside the SDK's list is normalised when it names one
 * (`rgb8; jpeg compressed bgr8` → `jpeg`), else the message is skipped with its reason; a ROS 2
 * CameraInfo with an empty `d` gives `distortion_parameters = []`.
 *
 * Layer: imports `apache-arrow` and this folder's `_fields.ts`, `_msg.ts`, `png.ts`.
 *
 * @module
 */
import { Struct } from "apache-arrow";
import { field, fixedListOf, listOf, T, vectorStruct } from "./_fields.ts";
import { bool, bytes, MessageError, num, nums, type OntologyMapping, struct, text } from "./_msg.ts";
import { PendingPng } from "./png.ts";

/** The `format` values an SDK reader accepts. */
export const IMAGE_FORMATS = ["raw", "png", "jpeg", "tiff", "h264", "hevc"] as const;

/**
 * The SDK format a recorded CompressedImage `format` means, or null when it names none. Exact values
 * pass as they are; otherwise the first known name inside it (`jpg` counts as `jpeg`, `h265` as `hevc`).
 */
export function normalizeImageFormat(format: string): string | null {
  if ((IMAGE_FORMATS as readonly string[]).includes(format)) return format;
  const lower = format.toLowerCase();
  if (/jpe?g/.test(lower)) return "jpeg";
  if (lower.includes("h265")) return "hevc";
  for (const f of IMAGE_FORMATS) if (lower.includes(f)) return f;
  return null;
}

const image: OntologyMapping = {
  tag: "image",
  format: "image",
  fields: () => [
    field("data", T.binary(), "The flattened image memory buffer.", true),
    field("format", T.utf8(), "Container format (e.g., 'raw', 'png').", true),
    field("width", T.i32(), "Image width in pixels.", true),
    field("height", T.i32(), "Image height in pixels.", true),
    field("stride", T.i32(), "Bytes per row. Essential for alignment.", true),
    field("encoding", T.utf8(), "Pixel format (e.g., 'bgr8', 'mono16').", true),
    field("is_bigendian", T.bool(), "True if data is Big-Endian. Defaults to system endianness if null."),
  ],
  toRow: (m) => {
    const data = bytes(m, "data");
    const step = num(m, "step");
    const height = num(m, "height");
    const png = step > 0 && height > 0 && data.length === step * height;
    return {
      // Encoded by the importer on worker threads (png_pool.ts), in parallel with the reading.
      data: png ? new PendingPng(data, step, height) : data.slice(),
      format: png ? "png" : "raw",
      width: num(m, "width"),
      height,
      stride: step,
      encoding: text(m, "encoding"),
      is_bigendian: bool(m, "is_bigendian"),
    };
  },
};

const compressedImage: OntologyMapping = {
  tag: "compressed_image",
  format: "image",
  fields: () => [
    field("data", T.binary(), "The serialized (compressed) image data as bytes.", true),
    field("format", T.utf8(), "The compression format (e.g., 'jpeg', 'png').", true),
  ],
  toRow: (m) => {
    const recorded = text(m, "format");
    const format = normalizeImageFormat(recorded);
    if (format === null) {
      throw new MessageError(
        `CompressedImage format "${recorded}" names none of ${IMAGE_FORMATS.join(", ")}`,
      );
    }
    return { data: bytes(m, "data").slice(), format };
  },
};

const v2 = (name: string, description: string, notNull = false) =>
  field(name, vectorStruct(2), description, notNull);
const pair = (x: number, y: number) => ({ covariance: null, covariance_type: null, x, y });

const cameraInfo: OntologyMapping = {
  tag: "camera_info",
  format: "default",
  fields: () => [
    field("height", T.u32(), "Height in pixels of the image with which the camera was calibrated.", true),
    field("width", T.u32(), "Width in pixels of the image with which the camera was calibrated.", true),
    field(
      "distortion_model",
      T.utf8(),
      "The distortion model used (e.g., 'plumb_bob', 'rational_polynomial').",
      true,
    ),
    field(
      "distortion_parameters",
      listOf(T.f64()),
      "The distortion coefficients (k1, k2, t1, t2, k3...). Size depends on the model.",
      true,
    ),
    field(
      "intrinsic_parameters",
      fixedListOf(T.f64(), 9),
      "The 3x3 Intrinsic Matrix (K) flattened row-major. Projects 3D points in the camera coordinate " +
        "frame to 2D pixel coordinates.",
      true,
    ),
    field(
      "rectification_parameters",
      fixedListOf(T.f64(), 9),
      "The 3x3 Rectification Matrix (R) flattened row-major. Used for stereo cameras to align the two " +
        "image planes.",
      true,
    ),
    field(
      "projection_parameters",
      fixedListOf(T.f64(), 12),
      "The 3x4 Projection Matrix (P) flattened row-major. Projects 3D world points directly into the " +
        "rectified image pixel coordinates.",
      true,
    ),
    v2("binning", "Hardware binning factor (x, y). If null, assumes (0, 0) (no binning)."),
    field(
      "roi",
      new Struct([
        v2("offset", "(Leftmost, Rightmost) pixels of the ROI.", true),
        field("height", T.u32(), "Height pixel of the ROI.", true),
        field("width", T.u32(), "Width pixel of the ROI.", true),
        field(
          "do_rectify",
          T.bool(),
          "False if the full image is captured (ROI not used) and True if a subwindow is captured (ROI " +
            "used) (optional). False if Null",
        ),
      ]),
      "Region of Interest. Used if the image is a sub-crop of the full resolution.",
    ),
  ],
  toRow: (m) => {
    const roi = struct(m, "roi");
    return {
      height: num(m, "height"),
      width: num(m, "width"),
      distortion_model: text(m, "distortion_model"),
      distortion_parameters: nums(m, "d", "D"),
      intrinsic_parameters: nums(m, "k", "K"),
      rectification_parameters: nums(m, "r", "R"),
      projection_parameters: nums(m, "p", "P"),
      binning: pair(num(m, "binning_x"), num(m, "binning_y")),
      roi: {
        offset: pair(num(roi, "x_offset"), num(roi, "y_offset")),
        height: num(roi, "height"),
        width: num(roi, "width"),
        do_rectify: bool(roi, "do_rectify"),
      },
    };
  },
};

/** Camera types → mapping. */
export const CAMERA_MAPPINGS: Record<string, OntologyMapping> = {
  "sensor_msgs/msg/Image": image,
  "sensor_msgs/msg/CompressedImage": compressedImage,
  "sensor_msgs/msg/CameraInfo": cameraInfo,
};
