"""A stand-in for one gunicorn worker, run as its own process by tests/test_redis.py.

It builds the app exactly as wsgi.py does (the configuration comes from the environment),
prints "ready", waits for a line on stdin so that every worker starts at the same moment,
then does one thing and prints its result:

    python tests/redis_worker.py token      the WeChat access token the app hands out
    python tests/redis_worker.py login N    the statuses of N failed admin logins, one per line
"""
import sys


def main(action, *args):
    from server import create_app
    from server.extensions import db

    app = create_app()
    with app.app_context():
        db.create_all()
    print("ready", flush=True)
    sys.stdin.readline()
    with app.app_context():
        if action == "token":
            print(app.extensions["wechat"].access_tokens.token(), flush=True)
        elif action == "login":
            client = app.test_client()
            for _ in range(int(args[0])):
                response = client.post("/api/v1/auth/admin", json={"username": "nobody", "password": "wrong"})
                print(response.status_code, flush=True)
        else:
            raise SystemExit(f"unknown action {action!r}")


if __name__ == "__main__":
    main(*sys.argv[1:])
