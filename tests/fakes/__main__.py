"""Run a fake payment platform in the foreground for development.

    python -m tests.fakes xbezahldienste --port 5081 [--auth oauth2|basic|none]
    python -m tests.fakes girocheckout --port 5082 [--notify once|skip|twice]

It prints its base URL and the environment the app needs to use it (ASSISTANT_<setting>; credentials "demo").
"""
import argparse

from werkzeug.serving import make_server

from . import girocheckout, xbezahldienste


def main():
    parser = argparse.ArgumentParser(prog="python -m tests.fakes", description=__doc__.splitlines()[0])
    parser.add_argument("platform", choices=("xbezahldienste", "girocheckout"))
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=None, help="5081 for xbezahldienste, 5082 for girocheckout")
    parser.add_argument("--auth", choices=("oauth2", "basic", "none"), default="oauth2", help="xbezahldienste only")
    parser.add_argument("--notify", choices=("once", "skip", "twice"), default="once", help="girocheckout only")
    args = parser.parse_args()
    port = args.port or (5081 if args.platform == "xbezahldienste" else 5082)
    base = f"http://{args.host}:{port}"
    if args.platform == "xbezahldienste":
        app = xbezahldienste.create_fake(auth=args.auth)
        settings = {"PAYMENT_PROVIDER": "xbezahldienste", "PAYMENT_BASE_URL": base, "PAYMENT_AUTH": args.auth,
                    "PAYMENT_ORIGINATOR_ID": app.fake.originator_id, "PAYMENT_ENDPOINT_ID": app.fake.endpoint_id}
        settings |= {"oauth2": {"PAYMENT_TOKEN_URL": f"{base}/token", "PAYMENT_CLIENT_ID": "demo",
                                "PAYMENT_CLIENT_SECRET": "demo"},
                     "basic": {"PAYMENT_USERNAME": "demo", "PAYMENT_PASSWORD": "demo"}}.get(args.auth, {})
    else:
        app = girocheckout.create_fake(notify=args.notify)
        settings = {"PAYMENT_PROVIDER": "girocheckout", "PAYMENT_BASE_URL": base,
                    "GIROCHECKOUT_MERCHANT_ID": app.fake.merchant_id, "GIROCHECKOUT_PROJECT_ID": app.fake.project_id,
                    "GIROCHECKOUT_PROJECT_PASSWORD": app.fake.password}
    server = make_server(args.host, port, app, threaded=True)
    print(f"{args.platform} fake on {base}  (Ctrl-C stops it)\nEnvironment for the app:", flush=True)
    for key, value in settings.items():
        print(f"  export ASSISTANT_{key}={value}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
