"""Message bodies and signatures of the chat platforms' group robots.

Pure functions (no ORM): each platform's documented webhook format.

* DingTalk custom robot (钉钉自定义机器人): POST the webhook URL with ``timestamp``
  (milliseconds) and ``sign`` in the query, ``sign`` being the URL-encoded base64 of
  HMAC-SHA256 keyed by the secret over ``"<timestamp>\\n<secret>"``; a ``markdown``
  message whose text names ``@<userId>`` of each person listed in ``at.atUserIds``.
  Answer ``{"errcode": 0, "errmsg": "ok"}``.
* Feishu / Lark custom bot (自定义机器人): ``timestamp`` (seconds) and ``sign`` in the
  JSON body, ``sign`` being the base64 of HMAC-SHA256 keyed by
  ``"<timestamp>\\n<secret>"`` over an empty message; an ``interactive`` card with a
  ``lark_md`` text (``<at id=...></at>`` mentions) and buttons. Answer
  ``{"code": 0, "msg": "success"}``.
* WeCom group robot (企业微信群机器人): the robot's key is in the webhook URL
  (``.../webhook/send?key=...``); a ``markdown`` message whose content names
  ``<@userid>``. Answer ``{"errcode": 0, "errmsg": "ok"}``.
* Generic webhook: a CrossDept JSON document signed like crossdept_api's webhooks
  (``X-CrossDept-Signature: sha256=<hex HMAC-SHA256 of the body>``).
"""

import base64
import hashlib
import hmac
import json
from urllib.parse import quote_plus

PLATFORMS = [
    ("dingtalk", "DingTalk group robot"),
    ("feishu", "Feishu (Lark) custom bot"),
    ("wecom", "WeCom group robot"),
    ("webhook", "Generic webhook"),
]


def dingtalk_sign(secret, timestamp_ms):
    """The ``sign`` query parameter of a DingTalk robot call (already URL-encoded)."""
    to_sign = f"{timestamp_ms}\n{secret}".encode()
    digest = hmac.new(secret.encode(), to_sign, hashlib.sha256).digest()
    return quote_plus(base64.b64encode(digest))


def feishu_sign(secret, timestamp):
    """The ``sign`` body field of a Feishu custom bot call."""
    key = f"{timestamp}\n{secret}".encode()
    return base64.b64encode(hmac.new(key, b"", hashlib.sha256).digest()).decode()


def webhook_signature(secret, body):
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def callback_signature(secret, timestamp, nonce, body):
    """Signature of a chat callback: base64 of HMAC-SHA256 keyed by the channel's
    callback secret over ``"<timestamp>\\n<nonce>\\n"`` and the raw body, so that the
    time, the nonce and the action are all covered."""
    message = f"{timestamp}\n{nonce}\n".encode() + body
    return base64.b64encode(hmac.new(secret.encode(), message, hashlib.sha256).digest()).decode()


def _markdown_lines(note):
    lines = [f"**{note['title']}**", "", note["text"]]
    if note.get("details"):
        lines += [""] + [f"- {detail}" for detail in note["details"]]
    return lines


def dingtalk_body(note):
    mentions = note["mentions"]
    lines = [*_markdown_lines(note), "", f"[{note['open_label']}]({note['url']})"]
    if mentions:
        lines += ["", " ".join(f"@{user_id}" for user_id in mentions)]
    return {
        "msgtype": "markdown",
        "markdown": {"title": note["title"], "text": "\n".join(lines)},
        "at": {"atUserIds": mentions, "isAtAll": False},
    }


def feishu_card(note):
    text = "\n".join([note["text"]] + [f"- {detail}" for detail in note.get("details", [])])
    if note["mentions"]:
        text += "\n" + " ".join(f"<at id={user_id}></at>" for user_id in note["mentions"])
    buttons = [
        {
            "tag": "button",
            "text": {"tag": "plain_text", "content": note["open_label"]},
            "type": "default",
            "url": note["url"],
        }
    ]
    for action in note.get("actions", []):
        buttons.append(
            {
                "tag": "button",
                "text": {"tag": "plain_text", "content": action["label"]},
                "type": "primary" if action["action"] == "approve" else "danger",
                "value": action["value"],
            }
        )
    return {
        "config": {"wide_screen_mode": True},
        "header": {
            "title": {"tag": "plain_text", "content": note["title"]},
            "template": note.get("color", "blue"),
        },
        "elements": [
            {"tag": "div", "text": {"tag": "lark_md", "content": text}},
            {"tag": "action", "actions": buttons},
        ],
    }


def feishu_body(note):
    return {"msg_type": "interactive", "card": feishu_card(note)}


def wecom_body(note):
    lines = [*_markdown_lines(note), "", f"[{note['open_label']}]({note['url']})"]
    if note["mentions"]:
        lines += ["", " ".join(f"<@{user_id}>" for user_id in note["mentions"])]
    return {"msgtype": "markdown", "markdown": {"content": "\n".join(lines)}}


def webhook_body(note):
    return {
        "event": note["event"],
        "title": note["title"],
        "text": note["text"],
        "details": note.get("details", []),
        "url": note["url"],
        "mentions": note["mentions"],
        "actions": note.get("actions", []),
        "ticket_id": note["ticket_id"],
        "step_id": note.get("step_id"),
    }


BODIES = {
    "dingtalk": dingtalk_body,
    "feishu": feishu_body,
    "wecom": wecom_body,
    "webhook": webhook_body,
}


def body(platform, note):
    """The JSON text to POST for ``note`` (unsigned: the signature depends on the
    time of sending)."""
    return json.dumps(BODIES[platform](note), ensure_ascii=False, sort_keys=True)


def signed_request(platform, url, secret, payload, now):
    """(url, body bytes, headers) of the POST that sends ``payload`` (the JSON text
    stored in the outbox) at ``now`` (a Unix time in seconds, float)."""
    headers = {"Content-Type": "application/json; charset=utf-8"}
    if platform == "dingtalk" and secret:
        timestamp = int(now * 1000)
        separator = "&" if "?" in url else "?"
        url = f"{url}{separator}timestamp={timestamp}&sign={dingtalk_sign(secret, timestamp)}"
        return url, payload.encode(), headers
    if platform == "feishu" and secret:
        timestamp = str(int(now))
        data = json.loads(payload)
        data.update(timestamp=timestamp, sign=feishu_sign(secret, timestamp))
        return url, json.dumps(data, ensure_ascii=False, sort_keys=True).encode(), headers
    raw = payload.encode()
    if platform == "webhook" and secret:
        headers["X-CrossDept-Timestamp"] = str(int(now))
        headers["X-CrossDept-Signature"] = webhook_signature(secret, raw)
    return url, raw, headers


def platform_error(platform, status, text):
    """The error a platform answered (HTTP 200 with a non-zero code counts too), or
    None when the message was accepted."""
    if not 200 <= status < 300:
        return f"HTTP {status}"
    if platform == "webhook":
        return None
    try:
        answer = json.loads(text)
    except ValueError:
        return f"HTTP {status}: not JSON"
    if not isinstance(answer, dict):
        return f"HTTP {status}: not a JSON object"
    if platform == "feishu":
        code = answer.get("code", answer.get("StatusCode", 0))
        message = answer.get("msg", answer.get("StatusMessage", ""))
    else:
        code, message = answer.get("errcode", 0), answer.get("errmsg", "")
    return None if code == 0 else f"{code}: {message}"
