"""Queue names and arguments: quorum queues dead-lettering to one exchange per platform."""

from __future__ import annotations

from shared.topology import (
    DEAD_LETTER_EXCHANGE,
    INBOUND_EXCHANGE,
    Binding,
    ServiceTopology,
)


def test_service_queue_is_named_after_the_service() -> None:
    assert ServiceTopology("matching").queue == "matching"


def test_dead_letter_queue_is_the_service_name_with_a_suffix() -> None:
    assert ServiceTopology("matching").dead_letter_queue == "matching.dead-letters"


def test_dead_letter_routing_key_is_the_service_name() -> None:
    assert ServiceTopology("matching").dead_letter_routing_key == "matching"


def test_service_queue_is_a_quorum_queue() -> None:
    assert ServiceTopology("matching").queue_arguments()["x-queue-type"] == "quorum"


def test_service_queue_dead_letters_to_the_shared_exchange_with_its_own_key() -> None:
    arguments = ServiceTopology("registry").queue_arguments()

    assert DEAD_LETTER_EXCHANGE == "volunteering.dead-letters"
    assert arguments["x-dead-letter-exchange"] == DEAD_LETTER_EXCHANGE
    assert arguments["x-dead-letter-routing-key"] == "registry"


def test_default_delivery_limit_is_20() -> None:
    assert ServiceTopology("matching").queue_arguments()["x-delivery-limit"] == 20


def test_delivery_limit_is_configurable() -> None:
    assert ServiceTopology("matching", delivery_limit=5).queue_arguments()["x-delivery-limit"] == 5


def test_queue_arguments_hold_exactly_the_four_keys() -> None:
    assert set(ServiceTopology("matching").queue_arguments()) == {
        "x-queue-type",
        "x-dead-letter-exchange",
        "x-dead-letter-routing-key",
        "x-delivery-limit",
    }


def test_bindings_are_kept_in_order() -> None:
    bindings = (
        Binding(INBOUND_EXCHANGE, "pl.waw.portal.volunteer.registered.v1"),
        Binding(INBOUND_EXCHANGE, "pl.waw.portal.volunteer.updated.v1"),
    )

    assert ServiceTopology("matching", bindings=bindings).bindings == bindings
