"""What people type: search queries per language, with typos, missing diacritics, wrong layout."""

from __future__ import annotations

QUERIES: dict[str, tuple[str, ...]] = {
    "en": (
        "lost my pasport abroad",  # typo
        "work permit",
        "residance permit",  # typo
        "how do I register my address when I arrive",
        "health insurence",  # typo
        "school for my children",
        "asylum application",
        "id card lost",
        "free legal advice",
        "looking for a job",
    ),
    "ru": (
        "потерял паспорт",
        "разрешение на работу",
        "вид на жительство",
        "регистрация по месту пребывания",
        "медицинская страховка",
        "школа для детей",
        "убежище",
        "ghjgbcrf",  # "прописка" typed with the Latin layout on
        "удостоверение личности",
        "бесплатная юридическая помощь",
    ),
    "az": (
        "pasportu itirdim",
        "is icazesi",  # iş icazəsi without diacritics
        "yasayis icazesi",  # yaşayış icazəsi
        "qeydiyyat",
        "tibbi sigorta",
        "usaqlar ucun mekteb",  # uşaqlar üçün məktəb
        "siginacaq",  # sığınacaq
        "sexsiyyet vesiqesi",  # şəxsiyyət vəsiqəsi
        "pulsuz huquqi meslehet",
        "is axtariram",
    ),
    "tr": (
        "pasaportumu kaybettim",
        "calisma izni",  # çalışma izni
        "oturma izni",
        "saglik sigortasi",  # sağlık sigortası
        "cocuklar icin okul",
        "iltica basvurusu",
        "kimlik karti",
        "ucretsiz hukuki danisma",
        "is ariyorum",
        "vatandaslik",
    ),
    "fa": (
        "پاسپورت گم کردم",
        "اجازه کار",
        "اجازه اقامت",
        "بیمه درمانی",
        "مدرسه برای بچه ها",
        "درخواست پناهندگی",
        "کارت شناسایی",
        "مشاوره حقوقی رایگان",
        "كار",  # Arabic kaf, as an Arabic keyboard types it
        "ثبت نام محل اقامت",
    ),
}

LANGUAGES: tuple[str, ...] = tuple(QUERIES)
