"""Hypothesis strategies for what a server may send: any JSON, any body bytes, header values of any kind."""

import json

from hypothesis import strategies as st

JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=30),
    lambda children: st.lists(children, max_size=5) | st.dictionaries(st.text(max_size=10), children, max_size=5),
    max_leaves=30)
BODIES = st.one_of(
    st.binary(max_size=300),
    JSON.map(lambda value: json.dumps(value).encode()),
    st.text(max_size=200).map(lambda text: text.encode('utf-8')),
    st.sampled_from([b'<html><body>502 Bad Gateway</body></html>', b'{"id": "fl_run_x", "status": "run', b'',
                     b'null', b'[]', b'"text"', b'NaN', b'{"message": "nope", "code": 7}', b'\xff\xfe\x00']),
)
ASCII_HEADER = st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=126), max_size=40)
HEADERS = st.fixed_dictionaries({}, optional={
    'Content-Type': st.one_of(st.sampled_from(['application/json', 'text/html; charset=utf-8', 'text/plain', '']),
                              ASCII_HEADER),
    'Retry-After': st.one_of(st.integers(-5, 10 ** 12).map(str), ASCII_HEADER,
                             st.sampled_from(['Wed, 21 Oct 2015 07:28:00 GMT', 'Fri, 31 Dec 9999 23:59:59 GMT',
                                              'Mon, 01 Jan 0001 00:00:00 -0000', '1e9', '-1', ' 5 ']))})
