"""Every language and script is data: no stage depends on an optional tokenizer or model
for some language; a stage that cannot handle a language skips it and counts it."""

from __future__ import annotations

import gzip
import json

import pytest

from conftest import SHARED, read_outputs, write_jsonl
from dqkit.normalize.lexicon import has_word_frequencies

# One short news-like text per script, written for this test (the first is issue 13's
# reproduction: wordfreq needs MeCab for Japanese, and its absence used to stop the run).
SCRIPTS = {
    "ja": "東京では今日、新しい地下鉄の路線が開通しました。KeePassとPCの起動。市長は記者会見で、利用者が増えると述べた。",
    "zh": "北京市政府今天宣布，新的地铁线路将于下个月开通。市长在新闻发布会上表示，乘客人数预计会大幅增加。",
    "ko": "서울시는 오늘 새로운 지하철 노선이 다음 달에 개통된다고 발표했습니다. 시장은 기자회견에서 승객이 늘 것이라고 말했습니다.",
    "th": "กรุงเทพมหานครประกาศวันนี้ว่ารถไฟฟ้าสายใหม่จะเปิดให้บริการในเดือนหน้า ผู้ว่าราชการกล่าวว่าผู้โดยสารจะเพิ่มขึ้นมาก",
    "ar": "أعلنت بلدية المدينة اليوم أن خط المترو الجديد سيفتح الشهر المقبل. وقال رئيس البلدية إن عدد الركاب سيزداد كثيرا.",
    "he": "העירייה הודיעה היום כי קו הרכבת התחתית החדש ייפתח בחודש הבא. ראש העיר אמר כי מספר הנוסעים יגדל מאוד.",
    "hi": "नगर निगम ने आज घोषणा की कि नई मेट्रो लाइन अगले महीने खुलेगी। महापौर ने कहा कि यात्रियों की संख्या बहुत बढ़ेगी।",
    "ru": "Городская администрация сегодня объявила, что новая линия метро откроется в следующем месяце. Мэр сказал, что пассажиров станет больше.",
    "el": "Ο δήμος ανακοίνωσε σήμερα ότι η νέα γραμμή του μετρό θα ανοίξει τον επόμενο μήνα. Ο δήμαρχος είπε ότι οι επιβάτες θα αυξηθούν.",
    "ka": "მერიამ დღეს გამოაცხადა, რომ მეტროს ახალი ხაზი მომავალ თვეში გაიხსნება. მერმა თქვა, რომ მგზავრები გაიზრდება.",
    "hy": "Քաղաքապետարանը այսօր հայտարարեց, որ մետրոյի նոր գիծը կբացվի հաջորդ ամիս։ Քաղաքապետը ասաց, որ ուղևորները կավելանան։",
    "ta": "நகராட்சி இன்று புதிய மெட்ரோ பாதை அடுத்த மாதம் திறக்கப்படும் என்று அறிவித்தது. பயணிகள் அதிகரிப்பார்கள் என்று மேயர் கூறினார்.",
    "bn": "পৌরসভা আজ ঘোষণা করেছে যে নতুন মেট্রো লাইন আগামী মাসে খুলবে। মেয়র বলেছেন যাত্রীর সংখ্যা অনেক বাড়বে।",
    "am": "የከተማው አስተዳደር ዛሬ አዲሱ የሜትሮ መስመር በሚቀጥለው ወር እንደሚከፈት አስታወቀ። ከንቲባው ተሳፋሪዎች እንደሚጨምሩ ተናግረዋል።",
    "vi": "Thành phố hôm nay thông báo tuyến tàu điện ngầm mới sẽ mở vào tháng tới. Thị trưởng nói số hành khách sẽ tăng nhiều.",
    "tr": "Belediye bugün yeni metro hattının gelecek ay açılacağını duyurdu. Belediye başkanı yolcu sayısının çok artacağını söyledi.",
}


def _clean(dqkit, tmp_path, records, *args):
    write_jsonl(tmp_path / "in.jsonl", records)
    result = dqkit("clean", tmp_path / "in.jsonl", "-o", tmp_path / "out", "--no-dedup", *args)
    assert result.code == 0, result.err
    assert "Traceback" not in result.err
    return read_outputs(tmp_path / "out"), json.loads((tmp_path / "out" / "report.json").read_text())


def _expected_skips(languages) -> dict[str, int]:
    counts: dict[str, int] = {}
    for lang in languages:
        base = (lang or "und").split("-")[0]
        if not has_word_frequencies(base):
            counts[f"skipped_language.{base}"] = counts.get(f"skipped_language.{base}", 0) + 1
    return counts


def test_a_document_in_every_script_is_cleaned_and_kept(tmp_path, dqkit):
    records = [{"id": lang, "text": text} for lang, text in SCRIPTS.items()]
    outputs, report = _clean(dqkit, tmp_path, records)
    clean = outputs["clean"]
    assert sorted(clean["id"]) == sorted(SCRIPTS)  # every one kept, none lost
    assert dict(zip(clean["id"], clean["text"], strict=True)) == SCRIPTS  # nothing to clean in them
    # The join repair skips, and counts, each language whose words cannot be weighed here.
    assert report.get("stages", {}).get("joins", {}) == _expected_skips(clean["lang"])


def test_a_language_given_by_the_input_that_wordfreq_cannot_tokenize_is_skipped(tmp_path, dqkit):
    records = [{"id": f"d{k}", "text": SCRIPTS["ja"] + f" 第{k}報。", "lang": "ja"} for k in range(3)]
    outputs, report = _clean(dqkit, tmp_path, records, "--no-langid")
    assert outputs["clean"].height == 3
    if has_word_frequencies("ja"):  # MeCab installed: nothing to skip
        assert "stages" not in report
    else:
        assert report["stages"]["joins"] == {"skipped_language.ja": 3}
        assert report["stages"]["mt_signals"] == {"number_scale_skipped.ja": 3}


SENTENCES = SHARED / "data" / "langid-lingua-testdata" / "language-testdata" / "sentences"


@pytest.mark.skipif(not SENTENCES.is_dir(), reason="../shared/data/langid-lingua-testdata is not here")
def test_one_document_in_each_of_75_languages(tmp_path, dqkit):
    records = []
    for path in sorted(SENTENCES.glob("*.txt.gz")):
        with gzip.open(path, "rt", encoding="utf-8") as handle:
            sentences = [next(handle).strip() for _ in range(6)]
        records.append({"id": path.name.split(".")[0], "text": "\n".join(sentences)})
    assert len(records) >= 30
    outputs, report = _clean(dqkit, tmp_path, records)
    assert outputs["rejects"].height == 0
    assert sorted(outputs["clean"]["id"]) == sorted(r["id"] for r in records)  # nothing lost
    assert report.get("stages", {}).get("joins", {}) == _expected_skips(outputs["clean"]["lang"])
