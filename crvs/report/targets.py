"""The 2030 targets the report measures completeness against: one place, with their source.

Source: the 2030 Agenda's SDG indicator 17.19.2(b), "proportion of countries that have achieved
100 per cent birth registration and 80 per cent death registration" (UN SDG metadata 17.19.2; see
docs domain.md §2). Vietnam's own programme for 2026–2030 (Decision 2836/QĐ-TTg, 31 Dec 2025) has
not been read for its figures: when it is, put its targets here and change `source`.
"""

TARGETS_2030 = {
    "birth_completeness_pct": 100.0,
    "death_completeness_pct": 80.0,
    "source": "SDG 17.19.2(b), Chương trình nghị sự 2030",
}
