"""Short benign videos (about one second of a drawn scene moving) written as MP4 with PyAV.

MPEG-4 Part 2 in one thread with bit-exact flags, so the same seed gives the same bytes.
"""

from __future__ import annotations

import io

import av
import numpy as np

from casegraph.synth.images import photo_image


def video(seed: int, width: int = 160, height: int = 120, frames: int = 12, fps: int = 12) -> bytes:
    """An MP4 (mpeg4 codec) panning across a drawn landscape; ~1 s, a few kB."""
    scene = np.asarray(photo_image(seed, width * 2, height))
    out = io.BytesIO()
    with av.open(out, mode="w", format="mp4", options={"fflags": "+bitexact"}) as container:
        stream = container.add_stream("mpeg4", rate=fps)
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        stream.codec_context.thread_count = 1
        stream.codec_context.flags |= av.codec.context.Flags.bitexact
        stream.codec_context.options = {"qscale": "4"}
        for index in range(frames):
            offset = index * width // frames
            pixels = np.ascontiguousarray(scene[:, offset : offset + width])
            frame = av.VideoFrame.from_ndarray(pixels, format="rgb24")
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return out.getvalue()
