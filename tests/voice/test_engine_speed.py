"""Throughput of the text engine in one process (printed, not asserted: timings depend on the machine)."""

import random
import time

from voice.engine import analyse_comments
from voice.engine.themes import ThemeSpec, compile_taxonomy
from voice.management.commands.voice_accuracy import sentiment_rows


def test_engine_throughput_is_printed():
    rng = random.Random(7)
    pool = {lang: [text for _, text in sentiment_rows(lang)] for lang in ("sv", "nb", "da", "en")}
    items = []
    for i in range(3000):
        lang = rng.choice(list(pool))
        text = " ".join(rng.sample(pool[lang], rng.choice([1, 1, 2, 2, 3])))
        if i % 10 == 0:
            text += " Ring mig på 070-123 45 67."
        items.append((text, lang if i % 3 else None))
    taxonomy = compile_taxonomy(
        [
            ThemeSpec(
                1, None, {"sv": ["faktura"], "nb": ["regning"], "da": ["regning"], "en": ["invoice", "bill"]}, {}
            ),
            ThemeSpec(2, 1, {"sv": ["dyr", "pris*"], "nb": ["dyr"], "da": ["dyr"], "en": ["expensive"]}, {}),
            ThemeSpec(3, None, {"sv": ["tekniker"], "nb": ["tekniker"], "da": ["tekniker"], "en": ["technician"]}, {}),
            ThemeSpec(4, None, {"sv": ["väntetid"], "nb": ["ventetid"], "da": ["ventetid"], "en": ["wait*"]}, {}),
        ]
    )
    analyse_comments(items[:200], taxonomy)  # load lexicons and the language model
    cpu, wall = time.process_time(), time.perf_counter()
    results = analyse_comments(items, taxonomy)
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    print(f"\nvoice engine: {len(items) / cpu:.0f} comments per CPU second ({len(items) / wall:.0f}/s wall clock)")
    assert len(results) == len(items)
    assert sum(r.has_personal_data for r in results) == 300
