"""The text of subtitle packets of each text codec, as it goes into a mov_text sample."""
import struct

import pytest

from iart_mm.video.subtitles import cue_text


@pytest.mark.parametrize('codec,data,text', [
    ('subrip', b'<i>Hello</i>\r\n<font color="red">there</font>', 'Hello\nthere'),
    ('ass', b'3,0,Default,,0,0,0,,{\\i1}Hello{\\i0}\\Nthere, friend', 'Hello\nthere, friend'),
    ('webvtt', b'<v Bob>Hi</v>', 'Hi'),
    ('mov_text', struct.pack('>H', 6) + 'h\u00e9llo'.encode() + b'styl-box-bytes', 'h\u00e9llo'),
])
def test_cue_text(codec, data, text):
    assert cue_text(data, codec) == text
