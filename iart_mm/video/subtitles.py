"""Text subtitles into MP4/MOV: SubRip, ASS/SSA, WebVTT and plain-text cues as ``mov_text`` (3GPP timed text).

The MP4 family holds text subtitles only as ``mov_text``. PyAV 13 cannot run FFmpeg's ``mov_text`` encoder:
it has no subtitle-encoding call, and the encoder refuses to open without an ASS header PyAV cannot set.
The sample format is small and fixed (3GPP TS 26.245: a 16-bit big-endian byte count, then the UTF-8
text), so cues are converted here, packet for packet with their timing, and muxed into a stream declared
with the ``mov_text`` codec. Styling tags (``<i>``, ``{\\i1}``, ...) are dropped: the text and the timing
are kept.
"""
import re
import struct
from fractions import Fraction

import av

# Decoder names PyAV reports for text subtitle codecs that can become mov_text.
TEXT_SUBTITLE_CODECS = ('subrip', 'srt', 'ass', 'ssa', 'webvtt', 'text', 'mov_text')

# The sample description FFmpeg's encoder writes: no display flags, centred at the bottom, transparent
# background, default box, one style (font 1, 18 px, opaque white) and a font table naming "Serif".
_SAMPLE_DESCRIPTION = (struct.pack('>IBb4B4h', 0, 1, -1, 0, 0, 0, 0, 0, 0, 0, 0)
                       + struct.pack('>3H2B4B', 0, 0, 1, 0, 18, 255, 255, 255, 255)
                       + struct.pack('>I4sHHB', 18, b'ftab', 1, 1, 5) + b'Serif')

_TIME_BASE = Fraction(1, 1000)
_HTML_TAG = re.compile(r'</?[a-zA-Z][^>]*>')
_ASS_OVERRIDE = re.compile(r'\{[^}]*\}')


def can_convert(codec_name: str, container) -> bool:
    """Whether a text subtitle stream of ``codec_name`` can go to ``container`` as mov_text."""
    return codec_name in TEXT_SUBTITLE_CODECS and 'mov_text' in container.supported_codecs


def add_mov_text_stream(container):
    """A mov_text subtitle stream (time base 1 ms) in the output ``container``.

    It is declared with the mov_text *decoder* so that PyAV, which opens every stream's codec before
    writing the header, opens something that needs no ASS header; the muxer only reads the codec id and
    the sample description.
    """
    stream = container.add_stream(av.codec.Codec('mov_text', 'r'))
    stream.codec_context.extradata = _SAMPLE_DESCRIPTION
    return stream


def cue_text(data: bytes, codec_name: str) -> str:
    """The plain text of one subtitle packet of ``codec_name`` (lines separated by '\\n')."""
    text = data.decode('utf-8', errors='replace')
    if codec_name == 'mov_text':
        (length,) = struct.unpack('>H', data[:2]) if len(data) >= 2 else (0,)
        return data[2:2 + length].decode('utf-8', errors='replace')
    if codec_name in ('ass', 'ssa'):
        # Matroska ASS packets: ReadOrder, Layer, Style, Name, MarginL, MarginR, MarginV, Effect, Text
        text = text.split(',', 8)[-1]
        text = _ASS_OVERRIDE.sub('', text).replace('\\N', '\n').replace('\\n', '\n').replace('\\h', ' ')
    else:
        text = _HTML_TAG.sub('', text)
    return text.replace('\r\n', '\n').strip('\n')


def mov_text_packet(packet, codec_name: str, stream):
    """A mov_text packet for ``stream`` with the text and timing of the subtitle ``packet``."""
    payload = cue_text(bytes(packet), codec_name).encode('utf-8')[:0xFFFF]
    out = av.Packet(struct.pack('>H', len(payload)) + payload)
    scale = Fraction(packet.time_base) / _TIME_BASE
    start = packet.pts if packet.pts is not None else packet.dts
    out.pts = out.dts = round(start * scale)
    out.duration = round((packet.duration or 0) * scale)
    out.time_base = _TIME_BASE
    out.stream = stream
    return out
