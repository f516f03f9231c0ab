"""One line, whatever the server sends: prose folded, identifiers escaped, both bounded."""

from hypothesis import given, strategies as st

from ansible_collections.altostrat.cloud.plugins.module_utils._text import one_id, one_line


def test_prose_folds_whitespace_and_escapes_control_characters():
    assert one_line('<html>\r\n  <h1>502\tBad\u2028Gateway</h1>\n</html>\n') == '<html> <h1>502 Bad Gateway</h1> </html>'
    assert one_line('bell\x07 and escape\x1b[31m') == 'bell\\x07 and escape\\x1b[31m'
    assert one_line(None) == '' and one_line(503) == '503'


def test_ids_escape_line_breaks():
    assert one_id('fl_run_\nevil\r\t') == 'fl_run_\\nevil\\r\\t'
    assert one_id('n2\u2028n3\x85\x00') == 'n2\\u2028n3\\x85\\x00'


def test_both_are_bounded_ellipsis_included():
    assert one_line('x' * 500, 300) == 'x' * 297 + '...'
    assert one_id('y' * 100) == 'y' * 57 + '...' and len(one_id('y' * 100)) == 60
    assert one_line('short', 300) == 'short'


@given(st.text(), st.integers(min_value=3, max_value=400))
def test_always_one_bounded_line(text, limit):
    for shown in (one_line(text, limit), one_id(text, limit)):
        assert len(shown.splitlines()) <= 1 and len(shown) <= limit
        assert not any(ord(char) < 0x20 or 0x7f <= ord(char) < 0xa0 for char in shown)
