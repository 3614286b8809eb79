import json


def jsonrpc_execute(case, user, model, method, args):
    """``model.method(*args)`` over JSON-RPC as ``user`` (with an API key): the
    answer's result, or its error."""
    key = (
        case.env["res.users.apikeys"]
        .with_user(user)
        .sudo()  # a key without expiration date needs it
        ._generate("rpc", "test", None)
    )
    return case.url_open(
        "/jsonrpc",
        data=json.dumps(
            {
                "jsonrpc": "2.0",
                "method": "call",
                "params": {
                    "service": "object",
                    "method": "execute_kw",
                    "args": [case.env.cr.dbname, user.id, key, model, method, args],
                },
            }
        ).encode(),
        headers={"Content-Type": "application/json"},
    ).json()
