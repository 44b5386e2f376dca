# Thin aliases over ./dev, which works without just.

# Start services, migrate, run API + worker in the foreground
run:
    ./dev run

# The whole test suite (what CI runs)
test *ARGS:
    ./dev test {{ARGS}}

# Make sure PostgreSQL, Redis and RabbitMQ are listening
services:
    ./dev services

migrate:
    ./dev migrate

promote USER ROLE="admin":
    ./dev promote {{USER}} {{ROLE}}

bench-login:
    ./dev bench-login

# The load benchmark: seeds a catalog, drives the release API (see README)
bench *ARGS:
    ./dev bench {{ARGS}}

# Inspect and replay dead jobs: just dead list | just dead replay JOB_ID | just dead replay --all
dead *ARGS:
    ./dev dead {{ARGS}}
