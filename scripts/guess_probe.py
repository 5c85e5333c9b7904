"""Fire N parallel password (or one-time-code) guesses at a running portal; print the answers.

Used to check the login throttle's limit by hand against gunicorn (loopback only):

    python scripts/guess_probe.py http://127.0.0.1:8041 --username alice --count 40
    python scripts/guess_probe.py http://127.0.0.1:8041 --username alice --password PW \
        --second-step --count 40

Every 400 is a guess that was checked (wrong password or wrong code); 429 was refused unchecked.
"""

import argparse
import collections
import http.cookiejar
import re
import threading
import urllib.error
import urllib.parse
import urllib.request

CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def session(base: str):
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar), NoRedirect())

    def call(path: str, data: dict | None = None) -> tuple[int, str]:
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        headers = {"Referer": base + path} if data is not None else {}
        try:
            request = urllib.request.Request(base + path, body, headers)  # noqa: S310
            with opener.open(request, timeout=60) as r:
                return r.status, r.read().decode()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read().decode()

    return call


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("base")
    parser.add_argument("--username", required=True)
    parser.add_argument("--password", default="")
    parser.add_argument("--second-step", action="store_true")
    parser.add_argument(
        "--many-usernames", action="store_true", help="guess <username>0..N (address limit)"
    )
    parser.add_argument("--count", type=int, default=40)
    args = parser.parse_args()
    calls, tokens = [], []
    for _ in range(args.count):
        call = session(args.base)
        path = "/login/"
        token = CSRF.search(call(path)[1]).group(1)
        if args.second_step:
            status, _ = call(
                path,
                {
                    "username": args.username,
                    "password": args.password,
                    "csrfmiddlewaretoken": token,
                },
            )
            assert status == 302, status
            path = "/login/verify/"
            token = CSRF.search(call(path)[1]).group(1)
        calls.append((call, path))
        tokens.append(token)
    barrier = threading.Barrier(args.count)
    results: list[tuple[int, str]] = [(0, "")] * args.count

    def guess(i: int) -> None:
        call, path = calls[i]
        data = {"csrfmiddlewaretoken": tokens[i]}
        if args.second_step:
            data["code"] = f"{(i * 7919) % 1_000_000:06d}"
        else:
            username = f"{args.username}{i}" if args.many_usernames else args.username
            data.update(username=username, password=f"guess-{i}")
        barrier.wait()
        results[i] = call(path, data)

    threads = [threading.Thread(target=guess, args=(i,)) for i in range(args.count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    counts = collections.Counter(status for status, _ in results)
    waits = {
        m.group(0) for _, body in results for m in [re.search(r"Try again in [^.]+\.", body)] if m
    }
    checked, refused = counts.pop(400, 0), counts.pop(429, 0)
    print(f"{args.count} parallel guesses: checked (400) {checked}, refused (429) {refused}")
    print(f"other answers: {dict(counts)}")
    print("messages:", sorted(waits))


if __name__ == "__main__":
    main()
