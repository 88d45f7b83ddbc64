/*
 * The content blocks an editor can insert into an article's body (CKEditor's "Templates"
 * button; its dialog lists them by title). Each is plain HTML with one class name from
 * articles/content/blocks.py: the sanitiser keeps exactly those classes, the review diff names
 * the block, and the public page styles it and adds its label. Replace the sample text.
 */
/* global CKEDITOR */
CKEDITOR.addTemplates("healthpages", {
  imagesPath: "",
  templates: [
    {
      title: "Urgent advice",
      description: "When to call the emergency number or go to A&E now (red, labelled \u201cUrgent advice\u201d).",
      html: '<div class="callout callout-urgent"><h3>Call 999 or go to A&amp;E now if:</h3>' +
        "<ul><li>you have chest pain</li><li>you cannot feel your legs</li></ul></div><p></p>",
    },
    {
      title: "Warning",
      description: "A safety warning: side effects, interactions, who should not take something.",
      html: '<div class="callout callout-warning"><h3>Do not take this medicine if:</h3>' +
        "<ul><li>you are pregnant</li></ul></div><p></p>",
    },
    {
      title: "Information",
      description: "A helpful aside: when to see a GP, what to bring to an appointment.",
      html: '<div class="callout callout-info"><h3>See a GP if:</h3><ul><li>the pain lasts more than 6 weeks</li></ul></div><p></p>',
    },
    {
      title: "Key facts",
      description: "A box of headline figures. Cite a source for each one, e.g. [PMID:29870458].",
      html: '<div class="key-facts"><ul><li><strong>1 in 5</strong> adults live with chronic pain [PMID:29870458]</li></ul></div><p></p>',
    },
    {
      title: "Numbered steps",
      description: "A process the reader follows in order, such as a course of treatment.",
      html: '<ol class="steps"><li><strong>First visit.</strong> What happens.</li><li><strong>Next.</strong> What happens.</li></ol><p></p>',
    },
    {
      title: "Call to action",
      description: "One clear next step for the reader, with a link (booking, a helpline).",
      html: '<div class="call-to-action"><p><strong>Talk to our pain team.</strong> <a href="https://example.org/book">Book an assessment</a></p></div><p></p>',
    },
  ],
});
