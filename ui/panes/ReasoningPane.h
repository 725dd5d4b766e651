// The Reasoning dock: one section per answer. While the model thinks, its section streams the reasoning; when the
// answer starts, the section collapses to "Thought for N s · M tokens", and a click expands it again.
// Driven by the ConversationModel; GUI thread only.
#pragma once

#include <QList>
#include <QWidget>

class QLabel;
class QPlainTextEdit;
class QToolButton;
class QVBoxLayout;

namespace m1::ui {

class ConversationModel;

class ReasoningPane : public QWidget {
    Q_OBJECT
public:
    explicit ReasoningPane(ConversationModel* model, QWidget* parent = nullptr);

    int sectionCount() const { return int(m_sections.size()); }
    QString headerText(int section) const;
    QString reasoningText(int section) const;
    bool isExpanded(int section) const;
    void setExpanded(int section, bool expanded);

private:
    struct Section {
        QWidget* frame = nullptr;
        QToolButton* header = nullptr;
        QPlainTextEdit* text = nullptr;
        qsizetype shown = 0;      // characters of reasoning already appended
        bool userToggled = false; // the user chose; no more automatic collapsing
        bool collapsedOnce = false;
    };
    void rebuild();
    void update(int row);

    ConversationModel* m_model;
    QVBoxLayout* m_list = nullptr;
    QLabel* m_placeholder = nullptr;
    QList<Section> m_sections;
};

}  // namespace m1::ui
