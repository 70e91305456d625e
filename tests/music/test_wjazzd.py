from studio.music.chords import NO_CHORD, parse_chord
from studio.music.encoding import decode_tokens, encode_solo
from studio.music.corpus.report import summarize
from studio.music.corpus.wjazzd import is_wjazzd_folder, load_wjazzd, read_solo

MELODY_HEAD = "bar,beat,beatdur,denom,division,duration,num,onset,period,pitch,subtatum,tatum\n"
BEATS_HEAD = "bar,bass_pitch,beat,chord,chorus_id,form,onset,signature\n"


def write_pair(folder, name, melody_rows, beat_rows):
    (folder / "csv_melody").mkdir(exist_ok=True)
    (folder / "csv_beats").mkdir(exist_ok=True)
    (folder / "csv_melody" / f"{name}_Solo.csv").write_text(
        MELODY_HEAD + "".join(",".join(map(str, r)) + "\n" for r in melody_rows))
    (folder / "csv_beats" / f"{name}_Solo.csv").write_text(
        BEATS_HEAD + "".join(",".join(map(str, r)) + "\n" for r in beat_rows))


def mel(bar, beat, division, tatum, pitch, dur_beats=0.5, beatdur=0.5):
    # bar,beat,beatdur,denom,division,duration,num,onset,period,pitch,subtatum,tatum
    return (bar, beat, beatdur, 4, division, dur_beats * beatdur, 4, 0.0, 4, pitch, 0, tatum)


def beats_rows(first_bar, last_bar, chords, per_bar=4):
    rows = []
    for bar in range(first_bar, last_bar + 1):
        for beat in range(1, per_bar + 1):
            rows.append((bar, 40, beat, chords.get((bar, beat), ""), 1, "", 0.0,
                         f"{per_bar}/4" if beat == 1 else ""))
    return rows


def test_pickup_tatums_and_chords(tmp_path):
    # a pickup on bar -1 beat 4 (second triplet eighth), then bar 0 and 1
    melody = [mel(-1, 4, 3, 3, 60, 1 / 3), mel(0, 1, 1, 1, 62, 1.0),
              mel(0, 2, 4, 2, 64, 0.25), mel(1, 3, 2, 2, 65, 2.0)]
    chords = {(-2, 1): "F7", (0, 3): "Bb-7", (1, 1): "Eb7alt"}
    write_pair(tmp_path, "A_Tune", melody, beats_rows(-2, 1, chords))
    warnings = []
    solo = read_solo(tmp_path / "csv_melody/A_Tune_Solo.csv",
                     tmp_path / "csv_beats/A_Tune_Solo.csv", warnings=warnings)
    assert solo.title == "A_Tune" and solo.beats_per_bar == 4
    assert solo.tempo == 120.0
    # bar -1 (the first bar with a note) becomes bar 0; bar -2 is dropped
    assert [(n.start, n.duration, n.pitch) for n in solo.notes] == [
        (36 + 8, 4, 60), (48, 12, 62), (48 + 12 + 3, 3, 64), (96 + 24 + 6, 24, 65)]
    # F7 from the dropped bar is carried in; changes land on their beats
    assert [(s.start, s.end, s.chord) for s in solo.chords] == [
        (0, 72, parse_chord("F7")), (72, 96, parse_chord("Bb-7")), (96, 192, parse_chord("Eb7alt"))]  # last note rings into bar 3
    assert warnings == []
    back = decode_tokens(encode_solo(solo))
    assert back.notes == solo.notes


def test_no_chord_before_first_symbol_and_three_four(tmp_path):
    melody = [mel(1, 1, 1, 1, 60), mel(2, 3, 1, 1, 67)]
    write_pair(tmp_path, "Waltz", melody, beats_rows(1, 2, {(2, 1): "C-j7"}, per_bar=3))
    solo = read_solo(tmp_path / "csv_melody/Waltz_Solo.csv", tmp_path / "csv_beats/Waltz_Solo.csv")
    assert solo.beats_per_bar == 3
    assert [n.start for n in solo.notes] == [0, 36 + 24]
    assert solo.chords[0].chord == NO_CHORD and solo.chords[1].chord == parse_chord("C-j7")


def test_load_folder_reports_bad_files(tmp_path):
    write_pair(tmp_path, "Good", [mel(0, 1, 1, 1, 60)], beats_rows(0, 0, {(0, 1): "C7"}))
    write_pair(tmp_path, "Empty", [], beats_rows(0, 0, {}))
    write_pair(tmp_path, "Broken", [("x", "y")], beats_rows(0, 0, {}))
    (tmp_path / "csv_melody" / "Lonely_Solo.csv").write_text(MELODY_HEAD)
    assert is_wjazzd_folder(tmp_path)
    solos, files = load_wjazzd(tmp_path)
    assert [s.title for s in solos] == ["Good"]
    status = {f.path.split("/")[-1]: f for f in files}
    assert status["Good_Solo.csv"].status == "ok" and status["Good_Solo.csv"].notes == 1
    assert "no notes" in status["Empty_Solo.csv"].message
    assert status["Broken_Solo.csv"].status == "error"
    assert "missing" in status["Lonely_Solo.csv"].message
    assert summarize(files)["ok"] == 1 and summarize(files)["error"] == 3


def test_index_csv_is_used(tmp_path):
    write_pair(tmp_path, "P_T", [mel(0, 1, 1, 1, 60)], beats_rows(0, 0, {(0, 1): "C7"}))
    (tmp_path / "index.csv").write_text(
        "solo,midi_file,melody_csv,beats_csv,midi_notes,csv_notes,pitch_seq_similarity,note\n"
        "Player_Tune,x.mid,csv_melody/P_T_Solo.csv,csv_beats/P_T_Solo.csv,1,1,1.0,\n")
    solos, files = load_wjazzd(tmp_path)
    assert [s.title for s in solos] == ["Player_Tune"]
