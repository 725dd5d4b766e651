#include "app/session/Conversation.h"

#include "app/core/JsonFile.h"

#include <QJsonArray>
#include <QJsonDocument>

namespace m1::app {
namespace {

const char* locationName(Citation::Location l) {
    switch (l) {
    case Citation::Location::Page: return "page";
    case Citation::Location::Lines: return "lines";
    case Citation::Location::Clause: return "clause";
    }
    return "page";
}

QJsonObject citationToJson(const Citation& c) {
    QJsonObject o{{"offset", double(c.offset)}, {"length", double(c.length)}, {"raw", c.raw}, {"tag", c.tag},
                  {"location_text", c.locationText}, {"quote", c.quote}, {"location", locationName(c.location)},
                  {"status", statusName(c.status)}, {"note", c.note}};
    switch (c.location) {
    case Citation::Location::Page:
        o["page_first"] = c.pageFirst;
        o["page_last"] = c.pageLast;
        break;
    case Citation::Location::Lines:
        o["file"] = c.file;
        o["line_first"] = c.lineFirst;
        o["line_last"] = c.lineLast;
        break;
    case Citation::Location::Clause: o["clause"] = c.clause; break;
    }
    return o;
}

bool citationFromJson(const QJsonObject& o, Citation* c) {
    const QString loc = o.value("location").toString();
    if (loc == QLatin1String("page")) c->location = Citation::Location::Page;
    else if (loc == QLatin1String("lines")) c->location = Citation::Location::Lines;
    else if (loc == QLatin1String("clause")) c->location = Citation::Location::Clause;
    else return false;
    const QString status = o.value("status").toString();
    bool known = false;
    for (auto s : {Citation::Status::Pending, Citation::Status::Verified, Citation::Status::Unverified,
                   Citation::Status::Unresolvable}) {
        if (statusName(s) == status) {
            c->status = s;
            known = true;
        }
    }
    if (!known) return false;
    c->offset = qsizetype(o.value("offset").toDouble());
    c->length = qsizetype(o.value("length").toDouble());
    c->raw = o.value("raw").toString();
    c->tag = o.value("tag").toString();
    c->locationText = o.value("location_text").toString();
    c->quote = o.value("quote").toString();
    c->note = o.value("note").toString();
    c->pageFirst = o.value("page_first").toInt();
    c->pageLast = o.value("page_last").toInt();
    c->file = o.value("file").toString();
    c->lineFirst = o.value("line_first").toInt();
    c->lineLast = o.value("line_last").toInt();
    c->clause = o.value("clause").toString();
    return !c->tag.isEmpty();
}

}  // namespace

QJsonObject Conversation::toJson() const {
    QJsonArray sourcesJson;
    for (const SourceRecord& s : sources)
        sourcesJson.append(QJsonObject{{"tag", s.tag}, {"kind", s.kind}, {"path", s.path}, {"sha256", s.sha256},
                                       {"commit", s.commit}, {"tokens", double(s.tokens)}});
    QJsonArray turnsJson;
    for (const Turn& t : turns) {
        QJsonArray cites;
        for (const Citation& c : t.citations) cites.append(citationToJson(c));
        const TurnStats& st = t.stats;
        turnsJson.append(QJsonObject{
            {"question", t.question}, {"reasoning", t.reasoning}, {"answer", t.answer}, {"citations", cites},
            {"stats", QJsonObject{{"time_to_first_token_s", st.timeToFirstTokenS},
                                  {"tokens_per_second", st.tokensPerSecond},
                                  {"prompt_tokens", double(st.promptTokens)},
                                  {"reused_tokens", double(st.reusedTokens)},
                                  {"reasoning_tokens", double(st.reasoningTokens)},
                                  {"answer_tokens", double(st.answerTokens)},
                                  {"reasoning_seconds", st.reasoningSeconds}}}});
    }
    return QJsonObject{
        {"format", "m1studio-conversation"},
        {"version", kFormatVersion},
        {"title", title},
        {"system_prompt", systemPrompt},
        {"model", QJsonObject{{"name", model.name}, {"location", model.location}, {"backend", model.backend},
                              {"random_weights", model.randomWeights}}},
        {"sampling", QJsonObject{{"temperature", sampling.temperature}, {"top_p", sampling.topP},
                                 {"top_k", sampling.topK}, {"seed", QString::number(sampling.seed)},
                                 {"max_output_tokens", sampling.maxOutputTokens}}},
        {"sources", sourcesJson},
        {"turns", turnsJson},
        {"workspace", workspace}};
}

bool Conversation::fromJson(const QJsonObject& json, QString* error) {
    if (json.value("format").toString() != QLatin1String("m1studio-conversation")) {
        *error = QStringLiteral("not an M1 Studio conversation (no \"format\": \"m1studio-conversation\")");
        return false;
    }
    const int version = json.value("version").toInt();
    if (version != kFormatVersion) {
        *error = QStringLiteral("conversation format version %1 is not supported (this build reads version %2)")
                     .arg(version)
                     .arg(kFormatVersion);
        return false;
    }
    for (const char* key : {"model", "sampling"}) {
        if (!json.value(key).isObject()) {
            *error = QStringLiteral("\"%1\" is missing").arg(QLatin1String(key));
            return false;
        }
    }
    for (const char* key : {"sources", "turns"}) {
        if (!json.value(key).isArray()) {
            *error = QStringLiteral("\"%1\" is missing").arg(QLatin1String(key));
            return false;
        }
    }
    Conversation c;
    c.title = json.value("title").toString();
    c.workspace = json.value("workspace").toObject();
    c.systemPrompt = json.value("system_prompt").toString();
    const QJsonObject m = json.value("model").toObject();
    c.model = {m.value("name").toString(), m.value("location").toString(), m.value("backend").toString(),
               m.value("random_weights").toBool()};
    const QJsonObject s = json.value("sampling").toObject();
    c.sampling.temperature = s.value("temperature").toDouble(1.0);
    c.sampling.topP = s.value("top_p").toDouble(0.95);
    c.sampling.topK = s.value("top_k").toInt();
    c.sampling.seed = s.value("seed").toString().toULongLong();
    c.sampling.maxOutputTokens = s.value("max_output_tokens").toInt(40960);
    for (const QJsonValue& v : json.value("sources").toArray()) {
        const QJsonObject o = v.toObject();
        c.sources.append({o.value("tag").toString(), o.value("kind").toString(), o.value("path").toString(),
                          o.value("sha256").toString(), o.value("commit").toString(),
                          qint64(o.value("tokens").toDouble())});
    }
    int index = 0;
    for (const QJsonValue& v : json.value("turns").toArray()) {
        ++index;
        const QJsonObject o = v.toObject();
        if (!o.value("question").isString() || !o.value("answer").isString()) {
            *error = QStringLiteral("turn %1 has no question or answer").arg(index);
            return false;
        }
        Turn t;
        t.question = o.value("question").toString();
        t.reasoning = o.value("reasoning").toString();
        t.answer = o.value("answer").toString();
        for (const QJsonValue& cv : o.value("citations").toArray()) {
            Citation cit;
            if (!citationFromJson(cv.toObject(), &cit)) {
                *error = QStringLiteral("turn %1 has a malformed citation").arg(index);
                return false;
            }
            t.citations.append(cit);
        }
        const QJsonObject st = o.value("stats").toObject();
        t.stats.timeToFirstTokenS = st.value("time_to_first_token_s").toDouble();
        t.stats.tokensPerSecond = st.value("tokens_per_second").toDouble();
        t.stats.promptTokens = qint64(st.value("prompt_tokens").toDouble());
        t.stats.reusedTokens = qint64(st.value("reused_tokens").toDouble());
        t.stats.reasoningTokens = qint64(st.value("reasoning_tokens").toDouble());
        t.stats.answerTokens = qint64(st.value("answer_tokens").toDouble());
        t.stats.reasoningSeconds = st.value("reasoning_seconds").toDouble();
        c.turns.append(t);
    }
    *this = c;
    return true;
}

bool Conversation::save(const QString& file, QString* error) const {
    return writeFileAtomically(file, QJsonDocument(toJson()).toJson(QJsonDocument::Indented), error);
}

bool Conversation::load(const QString& file, QString* error) {
    QJsonObject json;
    if (!readJsonObjectFile(file, QStringLiteral("conversation"), &json, error)) return false;
    QString why;
    if (!fromJson(json, &why)) {
        *error = file + QStringLiteral(": ") + why;
        return false;
    }
    return true;
}

}  // namespace m1::app
