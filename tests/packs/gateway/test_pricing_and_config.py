"""Pricing table (regex, effective dates, cached tokens, unpriced), config file, tokenizer."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from importlib import resources
from pathlib import Path

import pytest
import yaml

from vantage.packs.gateway.domain.config_file import ConfigError, load_config, parse_config
from vantage.packs.gateway.domain.pricing import cost_of, default_pricing, load_pricing
from vantage.packs.gateway.domain.token_counter import TokenCounter, heuristic_tokens

JUNE_2025 = datetime(2025, 6, 20, tzinfo=UTC)


def test_models_match_by_whole_name_and_the_latest_entry_in_force_wins() -> None:
    table = load_pricing(None)
    mini = table.price("gpt-4o-mini-2024-07-18", JUNE_2025)
    assert mini is not None and mini.input_per_1m == Decimal("0.15")
    assert table.price("gpt-4o", JUNE_2025).input_per_1m == Decimal("2.50")  # type: ignore[union-attr]
    # o3 was repriced on 2025-06-10: usage before keeps the old price.
    assert table.price("o3", datetime(2025, 5, 1, tzinfo=UTC)).input_per_1m == Decimal("10.00")  # type: ignore[union-attr]
    assert table.price("o3", JUNE_2025).input_per_1m == Decimal("2.00")  # type: ignore[union-attr]
    assert table.price("o3", datetime(2025, 4, 1, tzinfo=UTC)) is None  # before it existed


def test_unknown_models_are_unpriced() -> None:
    cost = load_pricing(None).cost(
        "my-private-model", JUNE_2025, input_tokens=100, output_tokens=10, cached_tokens=0
    )
    assert cost.usd is None and cost.unpriced


def test_cost_counts_cached_input_at_its_own_price() -> None:
    entry = default_pricing().models[1]  # gpt-4o-mini: 0.15 in, 0.075 cached, 0.60 out
    assert entry.match.startswith("gpt-4o-mini")
    # 1000 fresh input + 1000 cached + 500 output
    expected = (1000 * Decimal("0.15") + 1000 * Decimal("0.075") + 500 * Decimal("0.60")) / 10**6
    assert cost_of(entry, 2000, 500, 1000) == expected.quantize(Decimal("1e-9"))


def test_the_operator_file_comes_before_the_defaults(tmp_path: Path) -> None:
    path = tmp_path / "prices.yaml"
    path.write_text(
        yaml.safe_dump(
            {
                "version": "acme-1",
                "models": [
                    {
                        "match": "gpt-4o-mini.*",
                        "input_per_1m": "0.10",
                        "output_per_1m": "0.40",
                        "effective_from": "2024-07-18",
                    },
                    {"match": "my-private-model", "input_per_1m": "1", "output_per_1m": "2"},
                ],
            }
        )
    )
    table = load_pricing(path)
    assert table.version.startswith("acme-1+defaults.")
    assert table.price("gpt-4o-mini", JUNE_2025).input_per_1m == Decimal("0.10")  # type: ignore[union-attr]
    assert table.price("my-private-model", JUNE_2025) is not None
    assert table.price("gpt-4o", JUNE_2025) is not None
    only_file = load_pricing(path, include_defaults=False)
    assert only_file.price("gpt-4o", JUNE_2025) is None


def test_a_broken_pricing_file_names_the_problem(tmp_path: Path) -> None:
    path = tmp_path / "prices.yaml"
    path.write_text(
        "version: x\nmodels:\n  - match: '('\n    input_per_1m: 1\n    output_per_1m: 1\n"
    )
    with pytest.raises(ConfigError, match="invalid regular expression"):
        load_pricing(path)


def test_the_shipped_sample_config_is_valid() -> None:
    text = resources.files("vantage.packs.gateway.data").joinpath("gateway.example.yaml")
    config = parse_config(yaml.safe_load(text.read_text()), "sample")
    assert {p.kind for p in config.providers} == {"openai", "anthropic", "simulated"}
    assert config.specialists[0].fallbacks[0] == "anthropic/claude-3-5-haiku-latest"
    assert {(b.scope, b.period) for b in config.budgets} == {("tenant", "month"), ("user", "day")}


def test_config_errors_are_precise(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="unknown provider"):
        parse_config(
            {
                "providers": [{"name": "a", "kind": "simulated"}],
                "specialists": [{"slug": "s", "name": "S", "provider": "b", "model": "m"}],
            }
        )
    with pytest.raises(ConfigError, match="kind"):
        parse_config({"providers": [{"name": "a", "kind": "azure"}]})
    with pytest.raises(ConfigError, match="api_key: Extra inputs"):
        parse_config({"providers": [{"name": "a", "kind": "openai", "api_key": "sk-secret"}]})
    bad = tmp_path / "bad.yaml"
    bad.write_text("providers: [")
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_config(bad, production=False)


def test_without_a_file_development_gets_the_simulated_provider_only() -> None:
    assert [p.kind for p in load_config(None, production=False).providers] == ["simulated"]
    assert load_config(None, production=True).providers == ()


def test_the_tokenizer_loads_offline_and_counts_like_cl100k() -> None:
    counter = TokenCounter()
    assert counter.load() is True
    assert counter.method == "cl100k_base"
    assert counter.count("hello world") == 2  # cl100k: "hello", " world"
    assert counter.count_prompt(["hello world"]) == 2 + 4 + 3


def test_the_heuristic_is_documented_and_conservative_for_cjk() -> None:
    assert heuristic_tokens("abcdefgh") == 2
    assert heuristic_tokens("abc") == 1
    assert heuristic_tokens("日本語") == 3
    assert TokenCounter().count("abcdefgh") == 2  # not loaded yet: the heuristic
