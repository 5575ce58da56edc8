"""A local Stripe for tests: a real HTTP server speaking the v1 API's wire format.

It answers the calls the Stripe sync makes (customers, invoice items, invoices, finalize, credit
notes, list and search) as Stripe does: form-encoded bodies with nested keys, Bearer auth, JSON
objects with Stripe's ids and fields, list and search envelopes, Stripe's error bodies. It keeps
Stripe's idempotency contract: the same Idempotency-Key with the same parameters answers the first
response again (`Idempotent-Replayed: true`), with other parameters it is a 400
`idempotency_error`; injected failures keep no result, as a request that never ran keeps none.
Tests inject faults (`fail_next`, `fail_each_call_once`, `drop_after_work`), make search lag like
Stripe's (`lag_search`), and read the call log (`calls`) and the objects (`of`). Signed webhook
deliveries are built in `stripe_webhooks`.
"""

from __future__ import annotations

import fnmatch
import itertools
import json
import re
import socket
import struct
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

API_KEY = "sk_test_fake"
_INTS = {"amount", "days_until_due", "limit", "credit_amount", "quantity"}
_BOOLS = {"auto_advance"}


class StripeFault(Exception):
    """An error Stripe would answer, raised by an endpoint and sent as Stripe's error body."""

    def __init__(self, status: int, message: str, code: str | None = None,
                 param: str | None = None, kind: str = "invalid_request_error",
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        body = {"type": kind, "message": message, "code": code, "param": param}
        self.status, self.headers = status, headers or {}
        self.body = json.dumps({"error": {k: v for k, v in body.items() if v}}).encode()


@dataclass
class Call:
    """One request as the local Stripe saw it, and how it answered."""

    method: str
    path: str
    params: dict[str, Any]
    idempotency_key: str | None
    status: int = 200
    replayed: bool = False
    dropped: bool = False


@dataclass
class _Fault:
    method: str
    path: str
    times: int
    status: int | None  # None: do the work, then drop the connection
    code: str | None = None
    should_retry: bool | None = None  # Stripe-Should-Retry, when Stripe sends it

    def error(self) -> StripeFault:
        status = self.status or 500
        kind = {429: "rate_limit_error", 402: "card_error"}.get(
            status, "api_error" if status >= 500 else "invalid_request_error")
        advice = {} if self.should_retry is None else {
            "Stripe-Should-Retry": str(self.should_retry).lower()}
        return StripeFault(status, f"injected {status}", self.code, kind=kind, headers=advice)


def decode_form(pairs: list[tuple[str, str]]) -> dict[str, Any]:
    """Stripe's nested form keys (`a[b]`, `a[0][c]`) back into dicts and lists."""
    tree: dict[str, Any] = {}
    for key, value in pairs:
        parts = re.findall(r"[^\[\]]+", key)
        node = tree
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        leaf = parts[-1]
        node[leaf] = (int(value) if leaf in _INTS else value == "true" if leaf in _BOOLS
                      else value)
    return _listify(tree)


def _listify(node: Any) -> Any:
    if not isinstance(node, dict):
        return node
    if node and all(key.isdigit() for key in node):
        return [_listify(node[key]) for key in sorted(node, key=int)]
    return {key: _listify(value) for key, value in node.items()}


class FakeStripe:
    """Stripe's objects in memory behind a ThreadingHTTPServer on 127.0.0.1, on a free port."""

    def __init__(self, api_key: str = API_KEY, port: int = 0) -> None:
        self.api_key = api_key
        self.objects: dict[str, dict[str, Any]] = {}
        self.calls: list[Call] = []
        self._seq = itertools.count(1)
        self._order: dict[str, int] = {}
        self._idempotent: dict[str, tuple[tuple, int, bytes]] = {}
        self._faults: list[_Fault] = []
        self._fail_once: int | None = None
        self._seen: set[tuple] = set()
        self._search_until: int | None = None
        self._lock = threading.RLock()
        self._server = ThreadingHTTPServer(("127.0.0.1", port), _handler_for(self))
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,),
                                        daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> FakeStripe:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- what tests arrange and inspect ---
    def fail_next(self, method: str, path: str, times: int = 1, status: int = 500,
                  code: str | None = None, should_retry: bool | None = None) -> None:
        """The next `times` calls to `path` (a glob) fail with `status`, before doing any work."""
        self._faults.append(_Fault(method.upper(), path, times, status, code, should_retry))

    def drop_after_work(self, method: str, path: str, times: int = 1) -> None:
        """The next `times` calls do their work, then the connection is reset unanswered."""
        self._faults.append(_Fault(method.upper(), path, times, None))

    def fail_each_call_once(self, status: int) -> None:
        """Every distinct request (method, path, parameters) fails once with `status` first."""
        self._fail_once = status

    def lag_search(self) -> None:
        """Search stops seeing objects created from now on, as Stripe's search lags writes."""
        self._search_until = next(self._seq)

    def of(self, kind: str) -> list[dict[str, Any]]:
        return [obj for obj in self.objects.values() if obj["object"] == kind]

    def calls_to(self, method: str, path: str) -> list[Call]:
        return [c for c in self.calls if c.method == method and fnmatch.fnmatch(c.path, path)]

    def set_invoice(self, invoice_id: str, **fields: Any) -> None:
        """Change a stored invoice behind the sync's back (a total, a status)."""
        with self._lock:
            self.objects[invoice_id].update(fields)

    # --- the HTTP side ---
    def handle(self, method: str, raw_path: str, body: bytes,
               headers: dict[str, str]) -> tuple[int, bytes, dict[str, str], bool]:
        """Answer one request: (status, body, extra headers, drop the connection)."""
        split = urlsplit(raw_path)
        pairs = sorted(parse_qsl(body.decode() if method == "POST" else split.query,
                                 keep_blank_values=True))
        key = headers.get("idempotency-key") if method == "POST" else None
        call = Call(method, split.path, decode_form(pairs), key)
        with self._lock:
            self.calls.append(call)
            try:
                if headers.get("authorization") != f"Bearer {self.api_key}":
                    raise StripeFault(401, "Invalid API Key provided.")
                status, answer, extra = self._answer(call, tuple(pairs))
            except StripeFault as fault:
                call.status = fault.status
                return fault.status, fault.body, fault.headers, False
            call.status = status
            return status, answer, extra, call.dropped

    def _answer(self, call: Call, pairs: tuple) -> tuple[int, bytes, dict[str, str]]:
        injected = self._injected(call.method, call.path, pairs)
        if injected is not None and injected.status is not None:
            raise injected.error()
        call.dropped = injected is not None
        fingerprint = (call.method, call.path, pairs)
        if call.idempotency_key in self._idempotent:
            first, status, answer = self._idempotent[call.idempotency_key]
            if first != fingerprint:
                raise StripeFault(400, "Keys for idempotent requests can only be used with the "
                                  "same parameters they were first used with. Try using a key "
                                  f"other than '{call.idempotency_key}'.",
                                  kind="idempotency_error")
            call.replayed = True
            return status, answer, {"Idempotent-Replayed": "true"}
        try:
            status, answer = self._route(call.method, call.path, call.params)
        except StripeFault as fault:
            status, answer = fault.status, fault.body
        if call.idempotency_key is not None:
            self._idempotent[call.idempotency_key] = (fingerprint, status, answer)
        return status, answer, {}

    def _injected(self, method: str, path: str, pairs: tuple) -> _Fault | None:
        for fault in self._faults:
            if fault.times > 0 and fault.method == method and fnmatch.fnmatch(path, fault.path):
                fault.times -= 1
                return fault
        if self._fail_once is not None and (method, path, pairs) not in self._seen:
            self._seen.add((method, path, pairs))
            return _Fault(method, path, 0, self._fail_once)
        return None

    def _route(self, method: str, path: str, params: dict[str, Any]) -> tuple[int, bytes]:
        for verb, pattern, endpoint in _ROUTES:
            match = re.fullmatch(pattern, path)
            if verb == method and match:
                return 200, json.dumps(endpoint(self, params, *match.groups())).encode()
        raise StripeFault(404, f"Unrecognized request URL ({method}: {path}).")

    # --- objects ---
    def _new(self, prefix: str, kind: str, **fields: Any) -> dict[str, Any]:
        seq = next(self._seq)
        obj = {"id": f"{prefix}_{seq:06d}fake", "object": kind, "livemode": False,
               "created": int(time.time()), "metadata": {}, **fields}
        self.objects[obj["id"]], self._order[obj["id"]] = obj, seq
        return obj

    def _get(self, object_id: str | None, kind: str, param: str = "id") -> dict[str, Any]:
        obj = self.objects.get(object_id or "")
        if obj is None or obj["object"] != kind:
            raise StripeFault(404, f"No such {kind}: '{object_id}'", "resource_missing", param)
        return obj

    def _list(self, kind: str, params: dict[str, Any], filters: tuple[str, ...]) -> dict:
        found = [obj for obj in self.of(kind)
                 if all(obj.get(name) == params[name] for name in filters if name in params)]
        found.sort(key=lambda obj: -self._order[obj["id"]])
        if "starting_after" in params:
            ids = [obj["id"] for obj in found]
            found = found[ids.index(params["starting_after"]) + 1:]
        limit = params.get("limit", 10)
        return {"object": "list", "data": found[:limit], "has_more": len(found) > limit,
                "url": f"/v1/{kind}s"}

    def _search(self, kind: str, params: dict[str, Any]) -> dict:
        clauses = re.findall(r"(\w+)(?:\['([^']+)'\])?\s*:\s*'((?:[^'\\]|\\.)*)'",
                             params.get("query", ""))
        if not clauses:
            raise StripeFault(400, "Invalid search query.", "parameter_invalid_string", "query")
        found = []
        for obj in self.of(kind):
            if self._search_until is not None and self._order[obj["id"]] > self._search_until:
                continue
            values = [(obj.get(field) or {}).get(sub) if sub else obj.get(field)
                      for field, sub, _ in clauses]
            wanted = [re.sub(r"\\(.)", r"\1", value) for _, _, value in clauses]
            if values == wanted:
                found.append(obj)
        return {"object": "search_result", "data": found, "has_more": False,
                "next_page": None, "url": f"/v1/{kind}s/search"}

    def _recompute(self, invoice: dict[str, Any]) -> None:
        items = [obj for obj in self.of("invoiceitem") if obj["invoice"] == invoice["id"]]
        items.sort(key=lambda obj: self._order[obj["id"]])
        total = sum(item["amount"] for item in items)
        credited = invoice["pre_payment_credit_notes_amount"]
        invoice["lines"] = {
            "object": "list", "has_more": False, "url": f"/v1/invoices/{invoice['id']}/lines",
            "data": [{"id": "il_" + item["id"][3:], "object": "line_item",
                      "amount": item["amount"], "currency": item["currency"],
                      "description": item["description"], "metadata": item["metadata"],
                      "invoice_item": item["id"]} for item in items]}
        invoice.update(subtotal=total, total=total, amount_due=total - credited,
                       amount_remaining=total - credited - invoice["amount_paid"])


def _create_customer(fake: FakeStripe, params: dict[str, Any]) -> dict[str, Any]:
    tax_ids = [{"id": f"txi_{n}", "object": "tax_id", **tax}
               for n, tax in enumerate(params.get("tax_id_data", []))]
    return fake._new("cus", "customer", name=params.get("name"), email=params.get("email"),
                     address=params.get("address"), metadata=params.get("metadata", {}),
                     currency=None, balance=0,
                     tax_ids={"object": "list", "data": tax_ids, "has_more": False})


def _create_invoice(fake: FakeStripe, params: dict[str, Any]) -> dict[str, Any]:
    customer = fake._get(params.get("customer"), "customer", "customer")
    method = params.get("collection_method", "charge_automatically")
    if method == "send_invoice" and "days_until_due" not in params:
        raise StripeFault(400, "Missing required param: days_until_due.", "parameter_missing",
                          "days_until_due")
    invoice = fake._new("in", "invoice", customer=customer["id"],
                        currency=params.get("currency", "usd"), status="draft",
                        collection_method=method, days_until_due=params.get("days_until_due"),
                        auto_advance=params.get("auto_advance", True), due_date=None,
                        metadata=params.get("metadata", {}), number=None,
                        hosted_invoice_url=None, invoice_pdf=None, amount_paid=0,
                        pre_payment_credit_notes_amount=0, post_payment_credit_notes_amount=0)
    if params.get("pending_invoice_items_behavior") == "include":
        for item in fake.of("invoiceitem"):
            if item["customer"] == customer["id"] and item["invoice"] is None:
                item["invoice"] = invoice["id"]
    fake._recompute(invoice)
    return invoice


def _create_item(fake: FakeStripe, params: dict[str, Any]) -> dict[str, Any]:
    customer = fake._get(params.get("customer"), "customer", "customer")
    invoice = fake._get(params["invoice"], "invoice", "invoice") if "invoice" in params else None
    if "amount" not in params or "currency" not in params:
        raise StripeFault(400, "Missing required param: amount.", "parameter_missing", "amount")
    if invoice is not None and invoice["status"] != "draft":
        raise StripeFault(400, f"You can only add invoice items to draft invoices; "
                          f"{invoice['id']} is {invoice['status']}.", "invoice_not_editable")
    if invoice is not None and invoice["currency"] != params["currency"]:
        raise StripeFault(400, "The currency of the invoice item must match the invoice's.",
                          "currency_mismatch", "currency")
    item = fake._new("ii", "invoiceitem", customer=customer["id"], amount=params["amount"],
                     currency=params["currency"], description=params.get("description"),
                     invoice=invoice["id"] if invoice else None, quantity=1, proration=False,
                     metadata=params.get("metadata", {}), date=int(time.time()))
    if invoice is not None:
        fake._recompute(invoice)
    return item


def _finalize(fake: FakeStripe, params: dict[str, Any], invoice_id: str) -> dict[str, Any]:
    invoice = fake._get(invoice_id, "invoice")
    if invoice["status"] != "draft":
        raise StripeFault(400, "This invoice is already finalized, you can't re-finalize a "
                          "non-draft invoice.", "invoice_not_editable")
    count = sum(1 for inv in fake.of("invoice") if inv["number"]) + 1
    now = int(time.time())
    invoice.update(status="open" if invoice["amount_due"] else "paid",
                   number=f"FAKE0001-{count:04d}",
                   hosted_invoice_url=f"https://invoice.stripe.com/i/acct_fake/test_{invoice_id}",
                   invoice_pdf=f"https://pay.stripe.com/invoice/acct_fake/test_{invoice_id}/pdf",
                   auto_advance=params.get("auto_advance", invoice["auto_advance"]),
                   due_date=now + 86400 * (invoice["days_until_due"] or 0))
    return invoice


def _create_credit_note(fake: FakeStripe, params: dict[str, Any]) -> dict[str, Any]:
    invoice = fake._get(params.get("invoice"), "invoice", "invoice")
    if invoice["status"] not in ("open", "paid"):
        raise StripeFault(400, "You can only create credit notes on open or paid invoices.",
                          "invoice_not_finalized", "invoice")
    amount = params.get("amount", 0)
    earlier = [cn for cn in fake.of("credit_note") if cn["invoice"] == invoice["id"]]
    credited = sum(cn["amount"] for cn in earlier)
    if not 0 < amount <= invoice["total"] - credited:
        raise StripeFault(400, "The credit note amount must be positive and at most the "
                          "invoice's remaining total.", "credit_note_amount_invalid", "amount")
    paid = invoice["status"] == "paid"
    if paid and params.get("credit_amount", 0) != amount:
        raise StripeFault(400, "For a paid invoice, credit_amount, refund_amount and "
                          "out_of_band_amount must add up to amount.", param="amount")
    if paid:
        invoice["post_payment_credit_notes_amount"] += amount
        fake.objects[invoice["customer"]]["balance"] -= amount
    else:
        invoice["pre_payment_credit_notes_amount"] += amount
        fake._recompute(invoice)
        if invoice["amount_remaining"] == 0:
            invoice["status"] = "paid"
    return fake._new("cn", "credit_note", invoice=invoice["id"], customer=invoice["customer"],
                     amount=amount, total=amount, currency=invoice["currency"], status="issued",
                     number=f"{invoice['number']}-CN-{len(earlier) + 1:02d}",
                     type="post_payment" if paid else "pre_payment",
                     reason=params.get("reason"), memo=params.get("memo"),
                     metadata=params.get("metadata", {}))


Endpoint = Callable[..., dict[str, Any]]
_ROUTES: list[tuple[str, str, Endpoint]] = [
    ("POST", r"/v1/customers", _create_customer),
    ("GET", r"/v1/customers/search", lambda f, p: f._search("customer", p)),
    ("GET", r"/v1/customers/(cus_\w+)", lambda f, p, i: f._get(i, "customer")),
    ("GET", r"/v1/customers", lambda f, p: f._list("customer", p, ("email",))),
    ("POST", r"/v1/invoiceitems", _create_item),
    ("GET", r"/v1/invoiceitems", lambda f, p: f._list("invoiceitem", p, ("customer", "invoice"))),
    ("POST", r"/v1/invoices", _create_invoice),
    ("GET", r"/v1/invoices/search", lambda f, p: f._search("invoice", p)),
    ("GET", r"/v1/invoices/(in_\w+)", lambda f, p, i: f._get(i, "invoice")),
    ("POST", r"/v1/invoices/(in_\w+)/finalize", _finalize),
    ("GET", r"/v1/invoices", lambda f, p: f._list("invoice", p, ("customer", "status"))),
    ("POST", r"/v1/credit_notes", _create_credit_note),
    ("GET", r"/v1/credit_notes", lambda f, p: f._list("credit_note", p, ("invoice",))),
]


def _handler_for(fake: FakeStripe) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True

        def _serve(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            headers = {name.lower(): value for name, value in self.headers.items()}
            status, answer, extra, drop = fake.handle(self.command, self.path, body, headers)
            if drop:  # Stripe did the work; the answer is lost on the way back
                self.close_connection = True
                self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                           struct.pack("ii", 1, 0))
                return
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(answer)))
            self.send_header("Request-Id", f"req_{next(fake._seq):06d}")
            for name, value in extra.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(answer)

        do_GET = do_POST = _serve

        def log_message(self, *args: Any) -> None:
            pass

    return Handler


def main() -> None:
    """Run it by hand to try the Stripe sync without a Stripe account (docs: "Trying Stripe
    locally"); objects live in memory until it stops."""
    import argparse

    parser = argparse.ArgumentParser(description="A local Stripe-compatible server for trying "
                                     "`billing stripe push` without a Stripe account.")
    parser.add_argument("--port", type=int, default=12111, help="port on 127.0.0.1")
    parser.add_argument("--api-key", default=API_KEY, help="the secret key it accepts")
    options = parser.parse_args()
    server = FakeStripe(options.api_key, port=options.port)
    print(f"Stripe-compatible server on {server.url}; set STRIPE_API_BASE={server.url} "
          f"STRIPE_API_KEY={options.api_key}", flush=True)
    try:
        server._thread.join()
    except KeyboardInterrupt:
        server.close()


if __name__ == "__main__":
    main()
