"""A list of broker addresses: settings, URLs, and a connection that goes to the next node."""

from __future__ import annotations

import aio_pika
import pytest
from aio_pika.robust_connection import RobustConnection
from yarl import URL

from shared.publisher import FailoverConnection, broker_urls, connection_class
from shared.settings import ServiceSettings
from shared.testing.infrastructure import Infrastructure
from shared.testing.platform import free_port


class Settings(ServiceSettings):
    model_config = ServiceSettings.model_config | {"env_prefix": "ADDRESSES_TEST_"}


def test_addresses_come_comma_separated_from_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("ADDRESSES_TEST_AMQP_ADDRESSES", " rabbit-0:5672, rabbit-1:5672 ,")
    settings = Settings(service_name="t", database_url="postgresql://x/y", http_port=1)
    assert settings.amqp_addresses == ["rabbit-0:5672", "rabbit-1:5672"]
    monkeypatch.delenv("ADDRESSES_TEST_AMQP_ADDRESSES")
    assert Settings(service_name="t", database_url="x", http_port=1).amqp_addresses == []


def test_each_address_keeps_the_urls_user_vhost_and_options() -> None:
    url = "amqp://matching:s3cret@rabbitmq:5672/city?heartbeat=30"
    urls = broker_urls(url, ["rabbit-0.nodes:5672", "[::1]:5673"])
    assert [URL(u).host for u in urls] == ["rabbit-0.nodes", "::1"]
    assert [URL(u).port for u in urls] == [5672, 5673]
    for each in map(URL, urls):
        assert (each.user, each.password, each.path, each.query["heartbeat"]) == (
            "matching",
            "s3cret",
            "/city",
            "30",
        )
    assert broker_urls(url) == [url]
    with pytest.raises(ValueError, match="host:port"):
        broker_urls(url, ["rabbit-0"])


def test_one_address_is_aio_pikas_own_connection_several_the_failover_one() -> None:
    assert connection_class(["amqp://a/"]) is RobustConnection
    several = connection_class(["amqp://a/", "amqp://b/"])
    assert issubclass(several, FailoverConnection)
    # The hook the failover connection wraps: an aio-pika upgrade that renames it fails here.
    assert callable(getattr(RobustConnection, "_RobustConnection__connect_transport", None))


async def test_a_connection_goes_past_nodes_that_refuse_to_one_that_answers(
    infrastructure: Infrastructure,
) -> None:
    real = URL(infrastructure.amqp_url)
    refusing = [f"127.0.0.1:{free_port()}", f"127.0.0.1:{free_port()}"]
    urls = broker_urls(infrastructure.amqp_url, [*refusing, f"{real.host}:{real.port or 5672}"])
    connection = await aio_pika.connect_robust(urls[0], connection_class=connection_class(urls))
    try:
        assert connection.url.port == (real.port or 5672)
        channel = await connection.channel()
        assert not channel.is_closed
    finally:
        await connection.close()
