"""The `orderly` command, run the way a user runs it, against the test database."""

from __future__ import annotations

import asyncio
import secrets
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from orderly.cli import app
from orderly.kit.db import Database
from orderly.onboarding import service as onboarding
from orderly.tenancy import service as tenancy
from orderly.tenancy.domain import Role
from tests.factories import (
    Org,
    create_location,
    create_sku,
    order_view,
    place_order,
    receive_stock,
)

runner = CliRunner()

COMMANDS = ["migrate", "serve", "worker", "seed", "org", "api-key", "import", "db", "privacy"]


@pytest.fixture
def cli_env(monkeypatch: pytest.MonkeyPatch, database_url: str, tmp_path: Path) -> None:
    monkeypatch.setenv("ORDERLY_DATABASE_URL", database_url)
    monkeypatch.setenv("ORDERLY_DATA_DIR", str(tmp_path))


async def orderly(*args: str) -> tuple[int, str]:
    # Each command runs its own event loop, so it runs on a thread of its own here.
    result = await asyncio.to_thread(runner.invoke, app, list(args))
    return result.exit_code, result.output


def test_help_lists_every_command() -> None:
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0
    for command in COMMANDS:
        assert command in result.output
    for group, sub in [("org", "create"), ("api-key", "create"), ("import", "products"),
                       ("import", "stock"), ("db", "stop"), ("db", "url")]:  # fmt: skip
        sub_help = runner.invoke(app, [group, "--help"])
        assert sub_help.exit_code == 0
        assert sub in sub_help.output


async def test_org_and_api_key_create_print_a_working_key(cli_env: None, db: Database) -> None:
    slug = "cli-" + secrets.token_hex(4)
    code, output = await orderly("org", "create", slug, "--name", "CLI Test")
    assert code == 0, output
    org_id = int(output.strip().splitlines()[-1])

    code, output = await orderly("api-key", "create", "--org", slug, "--role", "manager")
    assert code == 0, output
    key = output.strip().splitlines()[-1]
    assert key.startswith("oly_") and " " not in key

    async with db.transaction() as transaction:
        conn = transaction.connection
        principal = await tenancy.authenticate_api_key(conn, key)
    assert principal is not None
    assert principal.org_id == org_id
    assert principal.role is Role.MANAGER


async def test_creating_an_existing_org_fails_plainly(cli_env: None) -> None:
    slug = "cli-" + secrets.token_hex(4)
    assert (await orderly("org", "create", slug))[0] == 0
    code, output = await orderly("org", "create", slug)
    assert code == 1
    assert "already exists" in output
    assert "Traceback" not in output


async def test_a_bad_role_is_refused_with_the_roles_listed(cli_env: None) -> None:
    code, output = await orderly("api-key", "create", "--org", "whatever", "--role", "boss")
    assert code != 0
    assert "boss" in output
    assert "viewer" in output


async def test_a_key_for_an_unknown_org_is_refused(cli_env: None) -> None:
    code, output = await orderly("api-key", "create", "--org", "no-such-org", "--role", "admin")
    assert code == 1
    assert "no organization 'no-such-org'" in output
    assert "Traceback" not in output


async def new_org(db: Database) -> tuple[str, str]:
    slug = "cli-" + secrets.token_hex(4)
    async with db.transaction() as transaction:
        conn = transaction.connection
        org_id = await onboarding.create_organization(conn, slug)
        key = await tenancy.create_api_key(conn, org_id=org_id, role=Role.VIEWER)
    return slug, key.key


async def test_import_products_from_csv(
    cli_env: None, db: Database, client: httpx.AsyncClient, tmp_path: Path
) -> None:
    slug, key = await new_org(db)
    csv_file = tmp_path / "products.csv"
    csv_file.write_text(
        "sku,name,weight_grams\nTEE-S,Tee S,180\nTEE-M,Tee M,200\nMUG,Stoneware Mug,420\n"
    )
    code, output = await orderly("import", "products", str(csv_file), "--org", slug)
    assert code == 0, output
    assert "imported 3" in output

    response = await client.get("/v1/products", headers={"Authorization": f"Bearer {key}"})
    assert sorted(p["sku"] for p in response.json()["items"]) == ["MUG", "TEE-M", "TEE-S"]


async def test_a_bad_product_row_names_its_line_and_imports_nothing(
    cli_env: None, db: Database, client: httpx.AsyncClient, tmp_path: Path
) -> None:
    slug, key = await new_org(db)
    csv_file = tmp_path / "products.csv"
    csv_file.write_text("sku,name,weight_grams\nTEE-S,Tee S,180\nTEE-M,Tee M,heavy\n")
    code, output = await orderly("import", "products", str(csv_file), "--org", slug)
    assert code == 1
    assert "line 3" in output
    assert "Traceback" not in output

    response = await client.get("/v1/products", headers={"Authorization": f"Bearer {key}"})
    assert response.json()["items"] == []


async def test_import_stock_from_csv(
    cli_env: None, db: Database, client: httpx.AsyncClient, tmp_path: Path
) -> None:
    slug, key = await new_org(db)
    headers = {"Authorization": f"Bearer {key}"}
    products = tmp_path / "products.csv"
    products.write_text("sku,name,weight_grams\nTEE-S,Tee S,180\nTEE-M,Tee M,200\n")
    assert (await orderly("import", "products", str(products), "--org", slug))[0] == 0
    admin = {"Authorization": f"Bearer {await admin_key(db, slug)}"}
    response = await client.post(
        "/v1/locations",
        headers=admin,
        json={
            "code": "WH1",
            "name": "East DC",
            "kind": "warehouse",
            "address": {"line1": "1 Main St", "city": "Newark", "postal_code": "07102",
                        "country": "US"},
        },
    )  # fmt: skip
    assert response.status_code == 201, response.text

    stock = tmp_path / "stock.csv"
    stock.write_text("sku,location,on_hand\nTEE-S,WH1,40\nTEE-M,WH1,25\n")
    code, output = await orderly("import", "stock", str(stock), "--org", slug)
    assert code == 0, output
    assert "imported 2" in output
    response = await client.get("/v1/inventory", params={"location": "WH1"}, headers=headers)
    on_hand = {item["sku"]: item["totals"]["on_hand"] for item in response.json()["items"]}
    assert on_hand == {"TEE-S": 40, "TEE-M": 25}

    bad = tmp_path / "bad-stock.csv"
    bad.write_text("sku,location,on_hand\nTEE-S,WH1,1\nTEE-M,WH1,1\nTEE-X,WH1,5\n")
    code, output = await orderly("import", "stock", str(bad), "--org", slug)
    assert code == 1
    assert "line 4" in output
    assert "Traceback" not in output
    response = await client.get("/v1/inventory", params={"location": "WH1"}, headers=headers)
    on_hand = {item["sku"]: item["totals"]["on_hand"] for item in response.json()["items"]}
    assert on_hand == {"TEE-S": 40, "TEE-M": 25}


async def admin_key(db: Database, slug: str) -> str:
    async with db.transaction() as transaction:
        conn = transaction.connection
        org_id = await tenancy.organization_id(conn, slug)
        return (await tenancy.create_api_key(conn, org_id=org_id, role=Role.ADMIN)).key


async def test_erasing_a_customer_prints_the_orders_erased(
    cli_env: None, db: Database, org: Org
) -> None:
    await create_location(db, org, "WH1")
    await create_sku(db, org, "MUG")
    await receive_stock(db, org, "MUG", "WH1", 2)
    placed = await place_order(db, org, [("MUG", 1)], customer={"email": "zoe@example.com"})

    code, output = await orderly(
        "privacy", "erase-customer", "--org", org.slug, "--email", "zoe@example.com"
    )

    assert code == 0, output
    assert output.strip().splitlines()[-1] == str(placed["id"])
    assert (await order_view(db, org, placed["id"]))["customer"]["email"] is None
